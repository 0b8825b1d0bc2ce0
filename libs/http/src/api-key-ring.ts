import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiKey } from './api-keys';
import { type Principal } from './auth.decorators';

const digest = (key: string) => createHash('sha256').update(key).digest();

export type Identification = { principal: Principal } | { problem: 'missing' | 'unknown'; message: string };

/** The configured API keys, by digest: who an `Authorization` header belongs to. */
export class ApiKeyRing {
  private readonly keys: Array<{ digest: Buffer; principal: Principal }>;

  constructor(apiKeys: ApiKey[], operatorTenant: string) {
    this.keys = apiKeys.map((entry) => {
      const hash = digest(entry.key);
      return {
        digest: hash,
        principal: {
          tenant: entry.tenant,
          role: entry.role,
          keyId: hash.toString('hex').slice(0, 8),
          operator: entry.role === 'admin' && entry.tenant === operatorTenant,
        },
      };
    });
  }

  identify(authorization: string | undefined): Identification {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return { problem: 'missing', message: 'Missing Authorization: Bearer <api key>' };
    const offered = digest(match[1]);
    // Compare against every key so timing does not reveal which prefix matched.
    let principal: Principal | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.digest, offered)) principal = key.principal;
    return principal ? { principal } : { problem: 'unknown', message: 'Unknown API key' };
  }
}
