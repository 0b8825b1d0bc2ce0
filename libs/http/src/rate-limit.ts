import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type Request, type RequestHandler } from 'express';
import { Redis } from 'ioredis';
import { type ApiKeyRing } from './api-key-ring';

export interface RateLimits {
  windowSeconds: number;
  /** Requests one API key may make per window, whichever address they come from. */
  perKey: number;
  /** Requests without a valid key (public routes, probes of keys) per client address. */
  perAddress: number;
  /** Requests with an unknown key per client address: guessing keys is slow. */
  authFailuresPerAddress: number;
}

export interface RateLimitOptions extends RateLimits {
  redis: { url: string; keyPrefix: string };
}

type Scope = 'key' | 'address' | 'auth-failure';

/** One fixed window per subject: the count, and how long until the window ends. */
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}`;

type HitRedis = Redis & { rateLimitHit(key: string, windowMs: number): Promise<[number, number]> };

/** Routes whose callers are orchestrators and scrapers, which must never be turned away. */
export const RATE_LIMIT_EXEMPT = /^\/(health|metrics)(\/|$)/;

const FAILURE_LOG_INTERVAL_MS = 30_000;

/**
 * Request counts per API key and per client address, kept in Redis so every replica of a service
 * counts against the same limits. When Redis does not answer, requests pass and the failure is
 * logged: a rate limiter is no reason to refuse tickets. Without options it limits nothing.
 */
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly redis: HitRedis | undefined;
  private lastFailureLog = 0;

  constructor(
    private readonly options: RateLimitOptions | undefined,
    private readonly keys: ApiKeyRing,
  ) {
    if (!options) return;
    this.redis = new Redis(options.redis.url, {
      // Fail fast instead of queueing while Redis is away; the request then passes unlimited.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    }) as HitRedis;
    this.redis.on('error', (error: Error) => this.logFailure(error));
    this.redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT });
  }

  async onApplicationShutdown(): Promise<void> {
    const redis = this.redis;
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }

  /** Express middleware, first in line: a caller over its limit costs one Redis round trip. */
  middleware(): RequestHandler {
    const { options, redis } = this;
    if (!options || !redis) return (_request, _response, next) => next();
    return (request, response, next) => {
      if (RATE_LIMIT_EXEMPT.test(request.path)) return next();
      this.retryAfterMs(request, options, redis).then(
        (waitMs) => {
          if (waitMs === 0) return next();
          response
            .status(429)
            .setHeader('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))))
            .json({
              code: 'rate_limited',
              message: 'Too many requests; retry after the time in Retry-After',
            });
        },
        (error: unknown) => {
          this.logFailure(error);
          next();
        },
      );
    };
  }

  /** 0 when the request may go on, else how long until every limit it hit has reset. */
  private async retryAfterMs(request: Request, options: RateLimitOptions, redis: HitRedis): Promise<number> {
    const identity = this.keys.identify(request.header('authorization'));
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const hits: Array<[Scope, string, number]> =
      'principal' in identity
        ? [['key', identity.principal.keyId, options.perKey]]
        : [
            ['address', address, options.perAddress],
            ...(identity.problem === 'unknown'
              ? [['auth-failure', address, options.authFailuresPerAddress] as [Scope, string, number]]
              : []),
          ];
    const windowMs = options.windowSeconds * 1000;
    const counted = await Promise.all(
      hits.map(async ([scope, subject, limit]) => {
        const [count, ttlMs] = await redis.rateLimitHit(
          `${options.redis.keyPrefix}:rate:${scope}:${subject}`,
          windowMs,
        );
        return count > limit ? Math.max(ttlMs, 1) : 0;
      }),
    );
    return Math.max(0, ...counted);
  }

  private logFailure(error: unknown): void {
    if (Date.now() - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLog = Date.now();
    this.logger.warn({
      msg: 'Rate limits not enforced: Redis does not answer',
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
