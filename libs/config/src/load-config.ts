import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;
type Blocks = Record<string, z.ZodType>;
export type ConfigOf<B extends Blocks> = { [K in keyof B]: z.output<B[K]> };

/**
 * Validates every block against the environment and reports all problems at once, naming the
 * variable but never echoing its value (values are often secrets).
 */
export function loadConfig<B extends Blocks>(blocks: B, env: Env = process.env): ConfigOf<B> {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(blocks)) {
    const result = schema.safeParse(env);
    if (result.success) {
      config[name] = result.data;
    } else {
      for (const issue of result.error.issues) {
        const variable = issue.path.join('.') || name;
        problems.push(`${variable}: ${issue.message}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as ConfigOf<B>;
}

/** Env flags: `true/false/1/0/yes/no`, because `z.coerce.boolean()` treats "false" as true. */
export const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

export const envInt = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
