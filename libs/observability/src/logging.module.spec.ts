import { loggedPath } from './logging.module';

describe('loggedPath', () => {
  it.each([
    ['/v1/tickets?cursor=abc', [] as string[], '/v1/tickets'],
    ['/v1/surveys/SeCrEtToKeN?score=1', ['/v1/surveys/'], '/v1/surveys/:token'],
    ['/v1/surveys/SeCrEtToKeN/extra', ['/v1/surveys/'], '/v1/surveys/:token/extra'],
    ['/v1/surveys-report', ['/v1/surveys/'], '/v1/surveys-report'],
  ])('logs %s as %s', (url: string, tokenPaths: string[], expected: string) => {
    expect(loggedPath(url, tokenPaths)).toBe(expected);
  });
});
