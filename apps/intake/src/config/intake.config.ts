import { authBlock, databaseBlock, httpBlock, kafkaBlock, loadConfig } from '@app/config';

export function loadIntakeConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    {
      http: httpBlock('intake', 3001),
      database: databaseBlock('intake'),
      kafka: kafkaBlock('intake'),
      auth: authBlock,
    },
    env,
  );
}

export type IntakeConfig = ReturnType<typeof loadIntakeConfig>;
