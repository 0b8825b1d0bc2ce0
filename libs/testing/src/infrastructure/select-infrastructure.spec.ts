import { externalUrls } from './infrastructure-urls';
import { dockerEngineAnswers, selectInfrastructure } from './select-infrastructure';

describe('selectInfrastructure', () => {
  const engine = (answers: boolean) => jest.fn(() => answers);

  it.each([
    ['docker', false],
    ['local', true],
    ['external', true],
  ] as const)('INFRA=%s is taken as given, without asking Docker', (requested, answers) => {
    const asked = engine(answers);
    expect(selectInfrastructure(requested, asked)).toBe(requested);
    expect(asked).not.toHaveBeenCalled();
  });

  it.each([
    [true, 'docker'],
    [false, 'local'],
  ] as const)('unset INFRA: a Docker engine that answers %s means %s', (answers, mode) => {
    expect(selectInfrastructure(undefined, engine(answers))).toBe(mode);
    expect(selectInfrastructure('', engine(answers))).toBe(mode);
  });

  it('refuses an unknown INFRA, naming the choices', () => {
    expect(() => selectInfrastructure('kubernetes', engine(true))).toThrow(
      'INFRA must be one of docker, local, external; got "kubernetes"',
    );
  });
});

describe('externalUrls', () => {
  it('takes the three URLs from the environment', () => {
    const env = { DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379', KAFKA_BROKERS: 'k:9092' };
    expect(externalUrls(env)).toEqual(env);
  });

  it('names every missing one', () => {
    expect(() => externalUrls({ REDIS_URL: 'redis://r:6379' })).toThrow(
      'INFRA=external needs DATABASE_URL, KAFKA_BROKERS in the environment',
    );
  });
});

describe('dockerEngineAnswers', () => {
  it('answers false, quickly, when no engine is reachable', () => {
    const original = process.env.DOCKER_HOST;
    // A socket path nobody listens on: the client fails at once rather than hang.
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    try {
      const started = Date.now();
      expect(dockerEngineAnswers(5_000)).toBe(false);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      if (original === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = original;
    }
  });
});
