import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from './api-error';
import { type ApiKey, type Role } from './api-keys';
import { type AuthenticatedRequest, IS_PUBLIC, type Principal, ROLES_KEY } from './auth.decorators';

const digest = (key: string) => createHash('sha256').update(key).digest();

/** S1: every non-public HTTP route needs a known API key with an allowed role. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Array<{ digest: Buffer; principal: Principal }>;

  constructor(
    private readonly reflector: Reflector,
    apiKeys: ApiKey[],
  ) {
    this.keys = apiKeys.map((entry) => {
      const hash = digest(entry.key);
      return {
        digest: hash,
        principal: { tenant: entry.tenant, role: entry.role, keyId: hash.toString('hex').slice(0, 8) },
      };
    });
  }

  canActivate(context: ExecutionContext): boolean {
    // Kafka handlers are authenticated by the broker, not by API keys.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const match = /^Bearer\s+(\S+)$/i.exec(request.header('authorization') ?? '');
    if (!match)
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Missing Authorization: Bearer <api key>');
    const offered = digest(match[1]);
    // Compare against every key so timing does not reveal which prefix matched.
    let principal: Principal | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.digest, offered)) principal = key.principal;
    if (!principal) throw new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', 'Unknown API key');

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (principal.role !== 'admin' && !allowed.includes(principal.role)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'forbidden', `The ${principal.role} role may not do this`);
    }
    request.principal = principal;
    return true;
  }
}
