import { bearer } from '@app/testing';
import { RoutingHarness } from './support/routing-harness';

/** A routing rule without its parts is the caller's mistake: a 400 naming them, never a 500. */
describe('routing rule validation', () => {
  let routing: RoutingHarness;

  beforeAll(async () => {
    routing = await RoutingHarness.start();
  });

  afterAll(() => routing?.stop());

  const post = () => routing.http.post('/v1/routing-rules').set('authorization', bearer('admin'));

  it.each([
    ['an empty object', (test: ReturnType<typeof post>) => test.send({})],
    ['no body at all', (test: ReturnType<typeof post>) => test],
    ['null parts', (test: ReturnType<typeof post>) => test.send({ match: null, assign: null })],
  ])('refuses %s with 400 naming match and assign', async (_, send) => {
    const response = await send(post());
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_failed');
    const fields = new Set((response.body.details as Array<{ field: string }>).map((d) => d.field));
    expect(fields).toEqual(new Set(['match', 'assign']));
  });

  it('still creates a rule with both parts', async () => {
    await post()
      .send({ match: { priority: 'urgent' }, assign: { requiredSkills: ['billing'] } })
      .expect(201);
  });
});
