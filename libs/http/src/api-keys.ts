export const ROLES = ['admin', 'agent', 'publisher'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKey {
  tenant: string;
  role: Role;
  key: string;
}

const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Parses `API_KEYS` (`tenant:role:key,...`). Errors name the entry by position, never the secret. */
export function parseApiKeys(raw: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const seen = new Set<string>();
  raw
    .split(',')
    .map((entry) => entry.trim())
    .forEach((entry, index) => {
      if (!entry) return;
      const where = `entry ${index + 1}`;
      const [tenant, role, key, ...rest] = entry.split(':');
      if (rest.length > 0 || key === undefined) throw new Error(`${where} must be tenant:role:key`);
      if (!TENANT.test(tenant)) throw new Error(`${where}: tenant must match ${TENANT.source}`);
      if (!(ROLES as readonly string[]).includes(role))
        throw new Error(`${where}: role must be one of ${ROLES.join(', ')}`);
      if (key.length < 16) throw new Error(`${where}: key must be at least 16 characters`);
      if (seen.has(key)) throw new Error(`${where}: key is already used by another entry`);
      seen.add(key);
      keys.push({ tenant, role: role as Role, key });
    });
  if (keys.length === 0) throw new Error('no API keys configured');
  return keys;
}
