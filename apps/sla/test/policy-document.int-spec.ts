import { type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Server } from 'node:http';
import request from 'supertest';
import { parse, stringify } from 'yaml';
import { DataSource } from 'typeorm';
import { bearer, createSandbox, startServiceApp, type TestSandbox } from '@app/testing';
import { loadSlaConfig } from '../src/config/sla.config';
import { UniquePolicyNames1764810000000 } from '../src/database/migrations/1764810000000-unique-policy-names';
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
      id: string;
      name: string;
      version: number;
      position: number;
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

  it('imports an unchanged export as a no-op, and versions only the policy whose content changed', async () => {
    for (const name of ['Round A', 'Round B', 'Round C'])
      await http()
        .post('/v1/sla-policies')
        .set('authorization', admin)
        .send({ name, match: { tags: [name] }, targets: { firstResponse: 'PT2H' } })
        .expect(201);
    const exportText = async () =>
      (await http().get('/v1/sla-policies/export').set('authorization', admin).expect(200)).text;
    const before = await policies();
    const names = before.map((p) => p.name);
    expect(names.slice(0, 3)).toEqual(['Round C', 'Round B', 'Round A']);

    const exported = await exportText();
    const noop = await importYaml(exported).expect(200);
    expect(noop.body.policies).toEqual({ created: [], updated: [], unchanged: names, retired: [] });
    expect(await policies()).toEqual(before);
    expect(await exportText()).toBe(exported);

    const document = parse(exported) as PolicyDocument;
    const b = document.policies.findIndex((p) => p.name === 'Round B');
    document.policies[b].targets = { firstResponse: 'PT30M' };
    const changed = await importYaml(stringify(document)).expect(200);
    expect(changed.body.policies).toEqual({
      created: [],
      updated: ['Round B'],
      unchanged: names.filter((name) => name !== 'Round B'),
      retired: [],
    });
    const after = await policies();
    expect(after.map((p) => [p.id, p.name, p.position])).toEqual(
      before.map((p) => [p.id, p.name, p.position]),
    );
    for (const [i, policy] of after.entries())
      expect(policy.version).toBe(before[i].version + (policy.name === 'Round B' ? 1 : 0));

    // Reordering moves policies without a new version of any of them.
    document.policies.reverse();
    const reordered = await importYaml(stringify(document)).expect(200);
    expect(reordered.body.policies.updated).toEqual([]);
    const moved = await policies();
    expect(moved.map((p) => p.name)).toEqual([...names].reverse());
    expect(moved.map((p) => [p.id, p.version]).sort()).toEqual(after.map((p) => [p.id, p.version]).sort());
  });

  it('refuses targets the engine cannot schedule, a simulation without a policy, and null list entries', async () => {
    const before = await policies();
    const post = (body: Record<string, unknown>) =>
      http()
        .post('/v1/sla-policies')
        .set('authorization', admin)
        .send({ name: 'Too long', match: {}, ...body });
    const fields = (response: request.Response) =>
      (response.body.details as Array<{ field: string }>).map((d) => d.field).sort();

    const typo = await post({ targets: { firstResponse: 'P4000D' } }).expect(400);
    expect(typo.body.code).toBe('validation_failed');
    expect(fields(typo)).toEqual(['targets.firstResponse']);
    const nested = await post({
      targets: { byPriority: { urgent: { resolution: 'P4000D' } } },
      escalation: [{ after: 'P4000D', notify: ['assignee'] }],
    }).expect(400);
    expect(fields(nested)).toEqual(['escalation.0.after', 'targets.byPriority.urgent.resolution']);

    // Within the bound on its own, but a calendar open one hour a week would take decades to count it.
    const hourAWeek = await http()
      .post('/v1/calendars')
      .set('authorization', admin)
      .send({ name: 'Hour a week', timezone: 'UTC', weekly: { mon: [['09:00', '10:00']] } })
      .expect(201);
    const sparse = await post({ targets: { resolution: 'P100D' }, calendarId: hourAWeek.body.id }).expect(
      400,
    );
    expect(sparse.body.details).toEqual([
      { field: 'targets.resolution', message: expect.stringContaining('Hour a week') as string },
    ]);
    await post({ targets: { resolution: 'PT8H' }, calendarId: hourAWeek.body.id, position: 50_000 }).expect(
      201,
    );

    const [existing] = before;
    const replaced = await http()
      .put(`/v1/sla-policies/${existing.id}`)
      .set('authorization', admin)
      .send({ name: existing.name, match: {}, targets: { nextResponse: 'P4000D' } })
      .expect(400);
    expect(fields(replaced)).toEqual(['targets.nextResponse']);

    const exported = parse(
      (await http().get('/v1/sla-policies/export').set('authorization', admin)).text,
    ) as PolicyDocument;
    const tooLong = structuredClone(exported);
    tooLong.policies[0].targets = { resolution: 'P4000D' };
    tooLong.policies[1].targets = { resolution: 'P100D' };
    tooLong.policies[1].calendar = 'Hour a week';
    const imported = await importYaml(stringify(tooLong)).expect(400);
    expect(fields(imported)).toEqual(['policies.0.targets.resolution', 'policies.1.targets.resolution']);
    const nullCalendar = await importYaml(
      stringify(exported).replace(/^calendars:\n/m, 'calendars:\n  - ~\n'),
    ).expect(400);
    expect(fields(nullCalendar)).toEqual(['calendars.0']);

    const simulate = (body: Record<string, unknown>) =>
      http()
        .post('/v1/sla-policies/simulate')
        .set('authorization', admin)
        .send({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', ...body });
    const withoutPolicy = await simulate({}).expect(400);
    expect(withoutPolicy.body.code).toBe('validation_failed');
    expect(fields(withoutPolicy)).toContain('policy');
    const draft = await simulate({
      policy: { name: 'draft', match: {}, targets: { firstResponse: 'P4000D' } },
    }).expect(400);
    expect(fields(draft)).toEqual(['policy.targets.firstResponse']);
    const sparseDraft = await simulate({
      policy: { name: 'draft', match: {}, targets: { resolution: 'P100D' }, calendarId: hourAWeek.body.id },
    }).expect(400);
    expect(fields(sparseDraft)).toEqual(['policy.targets.resolution']);

    expect((await policies()).filter((p) => p.name !== 'Too long')).toEqual(before);
  });

  it('migrates live duplicate names to unique ones, the first in match order keeping its name', async () => {
    const database = app.get(DataSource);
    const runner = database.createQueryRunner();
    const migration = new UniquePolicyNames1764810000000();
    const insert = (id: string, version: number, name: string, position: number, current = true) =>
      runner.query(
        `INSERT INTO sla_policies (id, version, tenant, name, position, match, targets, pause_on, warn_at,
           escalation, current, active)
         VALUES ($1, $2, 'migrated', $3, $4, '{}', '{}', '{}', '{}', '[]', $5, true)`,
        [id, version, name, position, current],
      );
    const ids = ['a', 'b', 'c', 'd'].map((c) => `00000000-0000-4000-8000-00000000000${c}`);
    try {
      await migration.down(runner);
      await insert(ids[0], 1, 'Dup', 5);
      await insert(ids[1], 1, 'Dup', 3);
      await insert(ids[1], 0, 'Dup', 3, false);
      await insert(ids[2], 1, 'Dup (2)', 9);
      await insert(ids[3], 1, 'Dup', 7);
      await migration.up(runner);
      const rows = (await runner.query(
        `SELECT id, name FROM sla_policies WHERE tenant = 'migrated' AND current ORDER BY position`,
      )) as Array<{ id: string; name: string }>;
      expect(rows).toEqual([
        { id: ids[1], name: 'Dup' },
        { id: ids[0], name: 'Dup (3)' },
        { id: ids[3], name: 'Dup (4)' },
        { id: ids[2], name: 'Dup (2)' },
      ]);
      await expect(insert(randomUUID(), 1, 'Dup', 1)).rejects.toThrow(/sla_policies_name_idx/);
    } finally {
      await runner.query(`DELETE FROM sla_policies WHERE tenant = 'migrated'`);
      await runner.release();
    }
  });
});
