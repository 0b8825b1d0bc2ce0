import { type INestApplication } from '@nestjs/common';
import { type Server } from 'node:http';
import request from 'supertest';
import { parse, stringify } from 'yaml';
import { bearer, createSandbox, startServiceApp, type TestSandbox } from '@app/testing';
import { loadSlaConfig } from '../src/config/sla.config';
import { type PolicyDocument } from '../src/policies/policy-document';
import { SlaModule } from '../src/sla.module';

/** Policies as code: export, edit, dry-run and import a YAML document against real Postgres. */
describe('SLA policies as one YAML document', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  const http = () => request(app.getHttpServer() as Server);
  const admin = bearer('admin');

  const policies = async () =>
    (await http().get('/v1/sla-policies').set('authorization', admin).expect(200)).body as Array<{
      name: string;
      version: number;
      targets: Record<string, string>;
      calendarId: string | null;
    }>;

  const importYaml = (document: string, query = '') =>
    http()
      .put(`/v1/sla-policies/import${query}`)
      .set('authorization', admin)
      .set('content-type', 'application/yaml')
      .send(document);

  beforeAll(async () => {
    sandbox = await createSandbox();
    app = await startServiceApp(SlaModule.forRoot(loadSlaConfig(sandbox.env)));
    const calendar = await http()
      .post('/v1/calendars')
      .set('authorization', admin)
      .send({
        name: 'Istanbul',
        timezone: 'Europe/Istanbul',
        weekly: { mon: [['09:00', '17:00']] },
        holidays: ['2026-10-29'],
      })
      .expect(201);
    await http()
      .post('/v1/sla-policies')
      .set('authorization', admin)
      .send({ name: 'Standard', match: {}, targets: { firstResponse: 'PT4H' }, position: 10 })
      .expect(201);
    await http()
      .post('/v1/sla-policies')
      .set('authorization', admin)
      .send({
        name: 'VIP',
        match: { tags: ['vip'] },
        targets: { firstResponse: 'PT1H' },
        calendarId: calendar.body.id,
        position: 5,
      })
      .expect(201);
  });

  afterAll(async () => {
    await app?.close();
    await sandbox?.dispose();
  });

  it('exports, plans a dry run without writing, imports atomically, and is idempotent', async () => {
    const exported = await http().get('/v1/sla-policies/export').set('authorization', admin).expect(200);
    expect(exported.headers['content-type']).toContain('application/yaml');
    const document = parse(exported.text) as PolicyDocument;
    expect(document.calendars).toEqual([
      {
        name: 'Istanbul',
        timezone: 'Europe/Istanbul',
        weekly: { mon: [['09:00', '17:00']] },
        holidays: ['2026-10-29'],
      },
    ]);
    expect(document.policies.map((p) => [p.name, p.calendar])).toEqual([
      ['VIP', 'Istanbul'],
      ['Standard', undefined],
    ]);

    // In git: tighten VIP, drop Standard, add an Athens calendar and a policy on it.
    document.calendars.push({
      name: 'Athens',
      timezone: 'Europe/Athens',
      weekly: { fri: [['10:00', '14:00']] },
      holidays: [],
    });
    document.policies[0].targets = { firstResponse: 'PT30M' };
    document.policies[1] = {
      name: 'Greek',
      match: { tags: ['gr'] },
      targets: { resolution: 'P1D' },
      calendar: 'Athens',
    };
    const edited = stringify(document);

    const before = await policies();
    const plan = await importYaml(edited, '?dryRun=true').expect(200);
    expect(plan.body).toEqual({
      dryRun: true,
      calendars: { created: ['Athens'], updated: [], unchanged: ['Istanbul'] },
      policies: { created: ['Greek'], updated: ['VIP'], unchanged: [], retired: ['Standard'] },
    });
    expect(await policies()).toEqual(before);

    const applied = await importYaml(edited).expect(200);
    expect(applied.body).toEqual({ ...plan.body, dryRun: false });
    const after = await policies();
    expect(after.map((p) => [p.name, p.version, p.targets])).toEqual([
      ['VIP', 2, { firstResponse: 'PT30M' }],
      ['Greek', 1, { resolution: 'P1D' }],
    ]);
    expect(after[1].calendarId).not.toBeNull();

    const again = await importYaml(
      (await http().get('/v1/sla-policies/export').set('authorization', admin)).text,
    ).expect(200);
    expect(again.body).toEqual({
      dryRun: false,
      calendars: { created: [], updated: [], unchanged: ['Athens', 'Istanbul'] },
      policies: { created: [], updated: [], unchanged: ['VIP', 'Greek'], retired: [] },
    });
  });

  it('refuses an invalid document as a whole, naming every problem, and changes nothing', async () => {
    const before = await policies();
    const invalid = await importYaml(
      stringify({
        version: 1,
        calendars: [{ name: 'Bad', timezone: 'Mars/Olympus', weekly: { mon: [['09:00', '17:00']] } }],
        policies: [
          { name: 'A', match: {}, targets: { firstResponse: 'two hours' } },
          { name: 'A', match: {}, targets: {}, calendar: 'Nowhere' },
        ],
      }),
    ).expect(400);
    expect(invalid.body.code).toBe('validation_failed');
    expect(invalid.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'calendars.0.timezone',
      'policies.0.targets.firstResponse',
      'policies.1.calendar',
      'policies.1.name',
    ]);
    const malformed = await importYaml('policies: [unclosed').expect(400);
    expect(malformed.body.code).toBe('malformed_yaml');
    await http()
      .put('/v1/sla-policies/import')
      .set('authorization', admin)
      .send({ policies: [] })
      .expect(415);
    await http().get('/v1/sla-policies/export').set('authorization', bearer('agent')).expect(403);
    expect(await policies()).toEqual(before);
  });
});
