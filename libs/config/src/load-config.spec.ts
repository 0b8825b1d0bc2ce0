import { authBlock, databaseBlock, httpBlock, kafkaBlock, redisBlock, smtpBlock } from './blocks';
import { ConfigError, loadConfig } from './load-config';

const blocks = {
  http: httpBlock('sla', 3003),
  database: databaseBlock('sla'),
  kafka: kafkaBlock('sla'),
  redis: redisBlock,
  auth: authBlock,
  smtp: smtpBlock,
};
const valid = {
  DATABASE_URL: 'postgres://u:p@db:5432/ticketflow',
  KAFKA_BROKERS: 'kafka:9092',
  REDIS_URL: 'redis://redis:6379',
  API_KEYS: 'default:admin:a-long-enough-admin-key-000',
  SMTP_URL: 'smtp://mail:25',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(blocks, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(blocks, valid);
    expect(config.http).toMatchObject({ service: 'sla', port: 3003, logLevel: 'info', bodyLimit: '256kb' });
    expect(config.database.schema).toBe('sla');
    expect(config.kafka.topicPrefix).toBe('');
    expect(config.redis).toEqual({ url: 'redis://redis:6379', keyPrefix: 'ticketflow', requireAof: false });
    expect(config.auth.operatorTenant).toBe('default');
  });

  it('reports every problem at once, by variable', () => {
    const problems = problemsOf({ SLA_PORT: '99999', REDIS_REQUIRE_AOF: 'maybe', SMTP_URL: 'mail:25' });
    const variables = problems.map((problem) => problem.split(':')[0]);
    expect(variables).toEqual(
      expect.arrayContaining([
        'SLA_PORT',
        'DATABASE_URL',
        'KAFKA_BROKERS',
        'REDIS_URL',
        'REDIS_REQUIRE_AOF',
        'API_KEYS',
        'SMTP_URL',
      ]),
    );
  });

  it('never echoes a value, since values are often secrets', () => {
    const secret = 'postgresql-but-not-a-url-s3cr3t';
    const problems = problemsOf({ ...valid, DATABASE_URL: secret });
    expect(problems.join('\n')).toContain('DATABASE_URL');
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('takes an operator tenant by name, and refuses one no API key could have', () => {
    expect(loadConfig(blocks, { ...valid, OPERATOR_TENANT: 'ops' }).auth.operatorTenant).toBe('ops');
    expect(problemsOf({ ...valid, OPERATOR_TENANT: 'Ops Team' })).toEqual([
      'OPERATOR_TENANT: must be a tenant name like those in API_KEYS',
    ]);
  });

  it('reads service ports from their own variable', () => {
    expect(loadConfig(blocks, { ...valid, SLA_PORT: '4003' }).http.port).toBe(4003);
  });
});
