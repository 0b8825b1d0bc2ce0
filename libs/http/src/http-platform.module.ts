import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, Reflector } from '@nestjs/core';
import { type ApiKey } from './api-keys';
import { ApiKeyRing } from './api-key-ring';
import { ApiKeyGuard } from './api-key.guard';
import { HttpExceptionFilter } from './http-exception.filter';
import { RateLimiter, type RateLimitOptions } from './rate-limit';
import { createValidationPipe } from './validation.pipe';

/** Rate limits, authentication, JSON errors and validation for every route, also in apps built by tests. */
@Module({})
export class HttpPlatformModule {
  static forRoot(options: {
    apiKeys: ApiKey[];
    operatorTenant: string;
    rateLimit?: RateLimitOptions;
  }): DynamicModule {
    const keys = new ApiKeyRing(options.apiKeys, options.operatorTenant);
    return {
      module: HttpPlatformModule,
      global: true,
      providers: [
        { provide: ApiKeyRing, useValue: keys },
        // Without options (RATE_LIMIT_DISABLED) it limits nothing and holds no Redis connection.
        { provide: RateLimiter, useValue: new RateLimiter(options.rateLimit, keys) },
        {
          provide: APP_GUARD,
          inject: [Reflector, ApiKeyRing],
          useFactory: (reflector: Reflector, keys: ApiKeyRing) => new ApiKeyGuard(reflector, keys),
        },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [ApiKeyRing, RateLimiter],
    };
  }
}
