/** What every test, benchmark and fuzz run needs to reach the infrastructure. */
export type InfrastructureUrls = Record<'DATABASE_URL' | 'REDIS_URL' | 'KAFKA_BROKERS', string>;

export const URL_NAMES = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS'] as const;

/** INFRA=external: the three URLs from the environment, or an error naming the missing ones. */
export function externalUrls(env: NodeJS.ProcessEnv): InfrastructureUrls {
  const missing = URL_NAMES.filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`INFRA=external needs ${missing.join(', ')} in the environment`);
  return { DATABASE_URL: env.DATABASE_URL!, REDIS_URL: env.REDIS_URL!, KAFKA_BROKERS: env.KAFKA_BROKERS! };
}
