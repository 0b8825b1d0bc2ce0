import { authBlock, databaseBlock, httpBlock, kafkaBlock, loadConfig } from '@app/config';

export function loadRoutingConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      http: httpBlock('routing', 3002),
      database: databaseBlock('routing'),
      kafka: kafkaBlock('routing'),
      auth: authBlock,
    },
    env,
  );
}

export type RoutingConfig = ReturnType<typeof loadRoutingConfig>;
