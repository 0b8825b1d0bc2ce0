import { type Kafka } from 'kafkajs';
import { type Client } from 'pg';
import { type AnyEvent } from '@app/contracts';
import { type SmtpSink, type WebhookReceiver } from '@app/testing';
import { SERVICE_NAMES } from '../e2e/support/service-process';
import { type Cluster } from './cluster';
import { type FaultInjector } from './faults';
import { type Load } from './load';
import { type Tenant } from './tenant';
import { readTopics, type TopicRecord } from './topics';

type Db = () => Client;

async function query<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = db();
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** One promise checked: how many were looked at, and each way it can be broken. */
export interface Check {
  name: string;
  checked: number;
  lost: number;
  duplicated: number;
  early: number;
  missed: number;
  /** Examples of what broke it, for the log. */
  examples: string[];
  /** Figures that are reported, not judged. */
  notes?: Record<string, number | string>;
}

function check(name: string): Check {
  return { name, checked: 0, lost: 0, duplicated: 0, early: 0, missed: 0, examples: [] };
}

/** Examples kept per check and kind: enough to start from, few enough to read. */
const EXAMPLES_PER_KIND = 4;

function flag(target: Check, kind: 'lost' | 'duplicated' | 'early' | 'missed', example: string): void {
  target[kind]++;
  if (target[kind] <= EXAMPLES_PER_KIND) target.examples.push(`${kind}: ${example}`);
}

/**
 * Samples, once a second while the load runs, every agent's active assignments against their
 * capacity in routing's own tables. A sample is a consistent snapshot: one statement.
 */
export class CapacityWatch {
  samples = 0;
  worst = 0;
  readonly overruns: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly db: Db) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), 1_000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const rows = await query<{ id: string; capacity: number; active: string }>(
        this.db,
        `SELECT a.id, a.capacity, count(s.ticket_id) AS active
           FROM routing.agents a LEFT JOIN routing.assignments s ON s.agent_id = a.id AND s.state = 'active'
          GROUP BY a.id, a.capacity`,
      );
      this.samples++;
      for (const row of rows) {
        const over = Number(row.active) - row.capacity;
        this.worst = Math.max(this.worst, Number(row.active) / Math.max(1, row.capacity));
        if (over > 0) this.overruns.push(`agent ${row.id}: ${row.active} active, capacity ${row.capacity}`);
      }
    } catch {
      // Postgres is down for a moment during its restart fault: that second has no sample.
    } finally {
      this.busy = false;
    }
  }
}

export interface Quiet {
  reached: boolean;
  seconds: number;
  /** What was still moving when the wait gave up. */
  left: string[];
}

/**
 * Waits until the system has nothing left to do: every consumer group caught up, every outbox
 * published, no delivery open, no timer overdue and no service unready, five seconds in a row.
 */
export async function waitForQuiet({
  db,
  cluster,
  kafka,
  sandboxPrefix,
  timeoutMs,
  say,
}: {
  db: Db;
  cluster: Cluster;
  kafka: Kafka;
  sandboxPrefix: string;
  timeoutMs: number;
  say: (line: string) => void;
}): Promise<Quiet> {
  const started = Date.now();
  let quietSince: number | undefined;
  let left: string[] = [];
  let lastSaid = 0;
  while (Date.now() - started < timeoutMs) {
    left = await whatIsLeft(db, cluster, kafka, sandboxPrefix).catch((error: unknown) => [String(error)]);
    if (left.length === 0) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= 5_000)
        return { reached: true, seconds: Math.round((Date.now() - started) / 1000), left };
    } else quietSince = undefined;
    if (Date.now() - lastSaid > 15_000) {
      lastSaid = Date.now();
      if (left.length > 0) say(`not quiet yet: ${left.slice(0, 6).join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return { reached: false, seconds: Math.round((Date.now() - started) / 1000), left };
}

export async function consumerLag(kafka: Kafka, prefix: string): Promise<Record<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(
      (topic) => topic.startsWith(prefix) && !topic.endsWith('.dlq'),
    );
    const lag: Record<string, number> = {};
    for (const service of SERVICE_NAMES) {
      const groupId = `${prefix}ticketflow-${service}`;
      const offsets = await admin.fetchOffsets({ groupId, topics });
      let total = 0;
      for (const { topic, partitions } of offsets) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const partition of partitions) {
          // -1: the group never consumed this topic (it does not subscribe to it).
          if (partition.offset === '-1') continue;
          const end = Number(ends.find((p) => p.partition === partition.partition)?.high ?? 0);
          total += Math.max(0, end - Number(partition.offset));
        }
      }
      lag[service] = total;
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

async function whatIsLeft(db: Db, cluster: Cluster, kafka: Kafka, prefix: string): Promise<string[]> {
  const left: string[] = [];
  for (const replica of cluster.running()) {
    const response = await fetch(`${replica.process.url}/health/ready`).catch(() => undefined);
    if (!response?.ok) left.push(`${replica.name} not ready`);
  }
  const lag = await consumerLag(kafka, prefix);
  for (const [service, behind] of Object.entries(lag)) if (behind > 0) left.push(`${service} lag ${behind}`);
  for (const schema of SERVICE_NAMES) {
    const [outbox] = await query<{ count: string }>(
      db,
      `SELECT count(*) FROM ${schema}.outbox WHERE published_at IS NULL`,
    );
    if (Number(outbox.count) > 0) left.push(`${schema} outbox ${outbox.count}`);
  }
  for (const schema of ['routing', 'sla', 'notifications']) {
    const [overdue] = await query<{ count: string }>(
      db,
      `SELECT count(*) FROM ${schema}.timers WHERE due_at < now() - interval '1 second' AND failed_at IS NULL`,
    );
    if (Number(overdue.count) > 0) left.push(`${schema} timers overdue ${overdue.count}`);
  }
  const [open] = await query<{ count: string }>(
    db,
    `SELECT count(*) FROM notifications.deliveries WHERE state IN ('pending', 'sending')`,
  );
  if (Number(open.count) > 0) left.push(`deliveries open ${open.count}`);
  return left;
}

interface Parsed {
  record: TopicRecord;
  event: AnyEvent;
}

/** Distinct events by id, in the order they first appeared: a redelivered record is the same event. */
function distinct(records: Parsed[]): Parsed[] {
  const seen = new Set<string>();
  return records.filter(({ event }) => !seen.has(event.id) && seen.add(event.id));
}

export interface RunResults {
  checks: Check[];
  counts: Record<string, number>;
}

export async function checkRun({
  db,
  kafka,
  prefix,
  load,
  smtp,
  webhooks,
  cluster,
  capacity,
  quiet,
  lateMs,
  tenant,
  faults,
}: {
  db: Db;
  kafka: Kafka;
  prefix: string;
  load: Load;
  smtp: SmtpSink;
  webhooks: WebhookReceiver;
  cluster: Cluster;
  capacity: CapacityWatch;
  quiet: Quiet;
  lateMs: number;
  tenant: Tenant;
  faults: FaultInjector;
}): Promise<RunResults> {
  const checkedAt = Date.now();
  const records = await readTopics(kafka, prefix);
  const parsed: Parsed[] = [];
  const deadLetters = records.filter((record) => record.topic.endsWith('.dlq'));
  for (const record of records) {
    if (record.topic.endsWith('.dlq') || record.topic.endsWith('tickets.inbound.v1') || !record.value)
      continue;
    parsed.push({ record, event: JSON.parse(record.value) as AnyEvent });
  }
  const events = distinct(parsed);
  const ofType = <T extends AnyEvent['type']>(type: T) =>
    events
      .map(({ event }) => event)
      .filter((event): event is Extract<AnyEvent, { type: T }> => event.type === type);

  const checks: Check[] = [];

  // Every accepted ticket exists exactly once, with the messages it was sent.
  const tickets = check('tickets stored once, with their messages');
  const stored = await query<{
    id: string;
    subject: string;
    status: string;
    customer_messages: string;
    agent_messages: string;
  }>(
    db,
    `SELECT t.id, t.subject, t.status,
            count(m.id) FILTER (WHERE m.author = 'customer') AS customer_messages,
            count(m.id) FILTER (WHERE m.author = 'agent') AS agent_messages
       FROM intake.tickets t LEFT JOIN intake.messages m ON m.ticket_id = t.id
      GROUP BY t.id`,
  );
  const bySubject = new Map<string, typeof stored>();
  for (const row of stored) {
    const n = /#(\d+)$/.exec(row.subject)?.[1];
    if (n) bySubject.set(n, [...(bySubject.get(n) ?? []), row]);
  }
  for (const record of load.records.values()) {
    tickets.checked++;
    for (const failure of record.failures) flag(tickets, 'missed', `ticket #${record.plan.n}: ${failure}`);
    const rows = bySubject.get(String(record.plan.n)) ?? [];
    if (rows.length === 0) {
      flag(tickets, 'lost', `ticket #${record.plan.n} (${record.plan.path}) was never stored`);
      continue;
    }
    if (rows.length > 1) flag(tickets, 'duplicated', `ticket #${record.plan.n} stored ${rows.length} times`);
    const row = rows[0];
    if (Number(row.customer_messages) !== record.customerMessages) {
      flag(
        Number(row.customer_messages) > record.customerMessages ? tickets : tickets,
        Number(row.customer_messages) > record.customerMessages ? 'duplicated' : 'lost',
        `ticket #${record.plan.n}: ${row.customer_messages} customer messages, ${record.customerMessages} sent`,
      );
    }
    const agent = Number(row.agent_messages);
    const { applied, unknown } = record.agentReplies;
    if (agent < applied)
      flag(tickets, 'lost', `ticket #${record.plan.n}: ${agent} agent replies stored, ${applied} applied`);
    if (agent > applied + unknown)
      flag(
        tickets,
        'duplicated',
        `ticket #${record.plan.n}: ${agent} agent replies, at most ${applied + unknown} sent`,
      );
  }
  const created = ofType('ticket.created');
  const createdPerTicket = countBy(created, (event) => event.data.ticketId);
  for (const row of stored) {
    const count = createdPerTicket.get(row.id) ?? 0;
    if (count !== 1)
      flag(tickets, count === 0 ? 'lost' : 'duplicated', `ticket ${row.id}: ${count} ticket.created events`);
  }
  checks.push(tickets);

  // Assigned exactly once per assignment epoch; nobody ever over capacity; nothing left behind.
  const assignments = check('assigned once per epoch, capacity held');
  const rows = await query<{ ticket_id: string; epoch: number; state: string }>(
    db,
    `SELECT ticket_id, epoch, state FROM routing.assignments`,
  );
  const queued = new Set(
    (await query<{ ticket_id: string }>(db, `SELECT ticket_id FROM routing.routing_queue`)).map(
      (row) => row.ticket_id,
    ),
  );
  const assignedPerTicket = countBy(
    [...ofType('ticket.assigned'), ...ofType('ticket.reassigned')],
    (event) => event.data.ticketId,
  );
  const assignmentOf = new Map(rows.map((row) => [row.ticket_id, row]));
  for (const row of rows) {
    assignments.checked++;
    const told = assignedPerTicket.get(row.ticket_id) ?? 0;
    if (told > row.epoch)
      flag(
        assignments,
        'duplicated',
        `ticket ${row.ticket_id}: ${told} assignment events for ${row.epoch} epochs`,
      );
    if (told < row.epoch)
      flag(assignments, 'lost', `ticket ${row.ticket_id}: ${told} assignment events for ${row.epoch} epochs`);
  }
  for (const row of stored) {
    if (['solved', 'closed'].includes(row.status)) continue;
    const assignment = assignmentOf.get(row.id);
    if (assignment?.state !== 'active' && !queued.has(row.id)) {
      flag(assignments, 'missed', `open ticket ${row.id} (${row.status}) neither assigned nor queued`);
    }
  }
  for (const overrun of capacity.overruns) flag(assignments, 'duplicated', `over capacity: ${overrun}`);
  assignments.notes = {
    capacitySamples: capacity.samples,
    fullestAgent: Math.round(capacity.worst * 100) / 100,
    queuedAtEnd: queued.size,
  };
  checks.push(assignments);

  // SLA: one breach per due clock, never early, each escalation step once and in order.
  const sla = check('SLA breaches once, never early, escalations in order');
  const breaches = ofType('sla.breached');
  const breachesPer = groupBy(breaches, (event) => `${event.data.clockId}@${Date.parse(event.data.dueAt)}`);
  const revoked = new Set(
    ofType('sla.met')
      .filter((event) => event.data.revokesBreach)
      .map((event) => `${event.data.clockId}@${Date.parse(event.data.dueAt)}`),
  );
  // When sla had set each clock's due time: a clock it learned of only after the due time (its
  // ticket's event reached it late, through a broker outage or a backlog) can breach no sooner.
  // The decision's record was sent after the transaction that made it committed; its event time
  // is earlier, while that transaction still ran.
  const decisions = groupBy(
    events.filter(({ event }) => ['sla.started', 'sla.resumed', 'sla.recomputed'].includes(event.type)),
    ({ event }) => (event.data as { clockId: string }).clockId,
  );
  const decidedBefore = (clockId: string, at: number) =>
    Math.max(
      0,
      ...(decisions.get(clockId) ?? [])
        .filter(({ event }) => Date.parse(event.time) <= at)
        .map(({ record }) => Math.min(record.timestamp, at)),
    );
  // The first instant from `at` on at which sla could fire a timer: a replica ready, Postgres and
  // Redis answering. A timer due while every sla replica or a timer store was down fires no sooner.
  const slaCouldFireFrom = (at: number) => {
    for (let from = at; ;) {
      const next = Math.max(cluster.servingFrom('sla', from), faults.timerStoresBackFrom(from));
      if (next === from) return from;
      from = next;
    }
  };
  let late = 0;
  let learnedLate = 0;
  let dueWhileDown = 0;
  let worstLearning = 0;
  const lateness: number[] = [];
  for (const [key, group] of breachesPer) {
    sla.checked++;
    if (group.length > 1) flag(sla, 'duplicated', `${group.length} breaches of ${key}`);
    for (const event of group) {
      const due = Date.parse(event.data.dueAt);
      const breachedAt = Date.parse(event.data.breachedAt);
      if (breachedAt < due) flag(sla, 'early', `breach of ${key} at ${event.data.breachedAt}`);
      const decided = decidedBefore(event.data.clockId, breachedAt);
      if (decided > due) {
        learnedLate++;
        worstLearning = Math.max(worstLearning, decided - due);
      }
      // It did fire at breachedAt: a replica starting up fires timers before it reports ready.
      const couldFire = Math.min(breachedAt, slaCouldFireFrom(Math.max(due, decided)));
      if (couldFire > Math.max(due, decided)) dueWhileDown++;
      const timerLateness = breachedAt - couldFire;
      lateness.push(timerLateness);
      if (timerLateness > lateMs) {
        late++;
        flag(sla, 'missed', `breach of ${key} ${timerLateness} ms after it was due`);
      }
    }
  }
  // A clock stopped while paused keeps a due time that no longer applies: whether it was met in
  // time is the business time it counted against its target.
  const clocks = await query<{
    id: string;
    state: string;
    due_at: Date;
    met_at: Date | null;
    breached_at: Date | null;
    stopped_at: Date | null;
    in_time: boolean;
    policy_id: string;
    policy_version: number;
  }>(
    db,
    `SELECT id, state, due_at, met_at, breached_at, stopped_at, elapsed_ms <= target_ms AS in_time,
            policy_id, policy_version
       FROM sla.sla_clocks`,
  );
  for (const clock of clocks) {
    const key = `${clock.id}@${clock.due_at.getTime()}`;
    const breached = breachesPer.has(key);
    const due = clock.due_at.getTime();
    if (clock.state === 'running' && due + lateMs < checkedAt)
      flag(sla, 'missed', `clock ${clock.id} still running ${checkedAt - due} ms after its due time`);
    if (clock.state === 'breached' && !breached)
      flag(sla, 'lost', `clock ${clock.id} is breached but no sla.breached says so`);
    if (clock.state === 'met' && !clock.in_time && !breached)
      flag(sla, 'missed', `clock ${clock.id} met late without a breach`);
    if (clock.state === 'met' && clock.in_time && breached && !revoked.has(key))
      flag(sla, 'early', `clock ${clock.id} met in time but breached, and the breach was not revoked`);
  }
  const chains = new Map(
    (
      await query<{ id: string; version: number; escalation: Array<{ after: string }> }>(
        db,
        `SELECT id, version, escalation FROM sla.sla_policies`,
      )
    ).map((policy) => [`${policy.id}/${policy.version}`, policy.escalation ?? []]),
  );
  const escalations = groupBy(
    ofType('sla.escalated'),
    (event) => `${event.data.clockId}@${Date.parse(event.data.breachedAt)}`,
  );
  for (const [key, group] of escalations) {
    const steps = countBy(group, (event) => String(event.data.step));
    for (const [step, count] of steps)
      if (count > 1) flag(sla, 'duplicated', `escalation step ${step} of ${key} fired ${count} times`);
    const ordered = [...group].sort((a, b) => a.data.step - b.data.step);
    for (let i = 1; i < ordered.length; i++) {
      if (Date.parse(ordered[i].data.escalatedAt) < Date.parse(ordered[i - 1].data.escalatedAt))
        flag(sla, 'early', `escalation steps of ${key} out of order`);
    }
    for (const event of group) {
      const dueAt = Date.parse(event.data.breachedAt) + parseSeconds(event.data.after) * 1000;
      if (Date.parse(event.data.escalatedAt) < dueAt)
        flag(sla, 'early', `escalation step ${event.data.step} of ${key} before its time`);
    }
  }
  for (const clock of clocks) {
    if (clock.state !== 'breached' || !clock.breached_at) continue;
    const chain = chains.get(`${clock.policy_id}/${clock.policy_version}`) ?? [];
    const fired = escalations.get(`${clock.id}@${clock.breached_at.getTime()}`) ?? [];
    const firedSteps = new Set(fired.map((event) => event.data.step));
    // An answer after the breach stops the chain: only the steps due before it must have fired.
    const chainEnd = clock.stopped_at?.getTime() ?? checkedAt - lateMs;
    chain.forEach((step, index) => {
      const dueAt = clock.breached_at!.getTime() + parseSeconds(step.after) * 1000;
      if (dueAt + lateMs < chainEnd && !firedSteps.has(index))
        flag(sla, 'missed', `clock ${clock.id}: escalation step ${index} never fired`);
    });
  }
  const warnings = groupBy(
    ofType('sla.warning'),
    (event) => `${event.data.clockId}@${Date.parse(event.data.dueAt)}/${event.data.fraction}`,
  );
  for (const [key, group] of warnings)
    if (group.length > 1) flag(sla, 'duplicated', `${group.length} warnings ${key}`);
  lateness.sort((a, b) => a - b);
  sla.notes = {
    clocks: clocks.length,
    breaches: breaches.length,
    warnings: ofType('sla.warning').length,
    escalations: ofType('sla.escalated').length,
    lateBreaches: late,
    breachLatenessP50Ms: percentile(lateness, 0.5),
    breachLatenessP99Ms: percentile(lateness, 0.99),
    breachLatenessMaxMs: lateness[lateness.length - 1] ?? 0,
    clocksLearnedAfterDue: learnedLate,
    breachesDueWhileSlaCouldNotFire: dueWhileDown,
    worstLearnedAfterDueMs: worstLearning,
  };
  checks.push(sla);

  // Mail and webhooks: at most one message per ledger row, none lost, none twice for one reason.
  const notifications = check('one mail per ledger row, none lost');
  // Staff notices coalesced into one email name that email's row in sent_with.
  const deliveries = await query<{
    id: string;
    ticket_id: string;
    reason: string;
    epoch: number;
    channel: string;
    state: string;
    mail_id: string;
  }>(
    db,
    `SELECT id, ticket_id, reason, epoch, channel, state, coalesce(sent_with, id)::text AS mail_id FROM notifications.deliveries`,
  );
  const mailsPerRow = countBy(
    smtp.messages,
    (mail) => /<([0-9a-f-]{36})@ticketflow>/.exec(mail.header('message-id') ?? '')?.[1] ?? 'none',
  );
  const hooksPerRow = countBy(
    webhooks.requests.filter((request) => request.status < 300),
    (request) => String(request.headers['idempotency-key'] ?? 'none'),
  );
  const deliveryById = new Map(deliveries.map((row) => [row.id, row]));
  const states = countBy(deliveries, (row) => row.state);
  let unconfirmedDelivered = 0;
  for (const row of deliveries) {
    notifications.checked++;
    const mails = mailsPerRow.get(row.mail_id) ?? 0;
    if (row.channel === 'email') {
      if (mails > 1 && row.mail_id === row.id)
        flag(notifications, 'duplicated', `delivery ${row.id} (${row.reason}) mailed ${mails} times`);
      if (row.state === 'sent' && mails === 0)
        flag(notifications, 'lost', `delivery ${row.id} (${row.reason}) is sent but never arrived`);
      if (row.state === 'unconfirmed' && mails === 1) unconfirmedDelivered++;
    } else if (row.channel === 'webhook' && row.state === 'sent' && !hooksPerRow.has(row.id)) {
      flag(notifications, 'lost', `webhook delivery ${row.id} is sent but the receiver never accepted it`);
    }
    if (row.state === 'pending' || row.state === 'sending')
      flag(notifications, 'missed', `delivery ${row.id} (${row.reason}) still ${row.state}`);
    if (row.state === 'failed') flag(notifications, 'missed', `delivery ${row.id} (${row.reason}) failed`);
  }
  for (const [id, count] of mailsPerRow) {
    if (!deliveryById.has(id))
      flag(notifications, 'duplicated', `${count} mails with Message-ID ${id}, which no ledger row has`);
  }
  const perReason = countBy(
    smtp.messages.filter((mail) =>
      deliveryById.has(/<([0-9a-f-]{36})@ticketflow>/.exec(mail.header('message-id') ?? '')?.[1] ?? ''),
    ),
    (mail) => {
      const row = deliveryById.get(/<([0-9a-f-]{36})@ticketflow>/.exec(mail.header('message-id') ?? '')![1])!;
      return `${mail.to.join(',')}|${row.ticket_id}|${row.reason}|${row.epoch}`;
    },
  );
  for (const [key, count] of perReason)
    if (count > 1) flag(notifications, 'duplicated', `${count} mails for ${key}`);
  const acknowledged = new Set(
    deliveries.filter((row) => row.reason === 'ticket.acknowledgment').map((row) => row.ticket_id),
  );
  for (const row of stored)
    if (!acknowledged.has(row.id))
      flag(notifications, 'lost', `ticket ${row.id} has no acknowledgment in the ledger`);
  const webhookEvents = [...ofType('sla.breached'), ...ofType('sla.escalated'), ...ofType('survey.answered')];
  const webhookReasons = new Set(
    deliveries.filter((row) => row.channel === 'webhook').map((row) => row.reason.split('.').pop()),
  );
  for (const event of webhookEvents)
    if (!webhookReasons.has(event.id))
      flag(notifications, 'lost', `${event.type} ${event.id} never reached the webhook ledger`);
  notifications.notes = {
    ...Object.fromEntries([...states].map(([state, count]) => [`ledger ${state}`, count])),
    mails: smtp.messages.length,
    webhookRequests: webhooks.requests.length,
    unconfirmedThatArrived: unconfirmedDelivered,
    unconfirmedThatDidNot: (states.get('unconfirmed') ?? 0) - unconfirmedDelivered,
  };
  checks.push(notifications);

  // Per-ticket event sequences, per source, complete and increasing on every topic.
  const sequences = check('per-ticket sequences complete and in order');
  const streams = groupBy(
    parsed.filter(({ event }) => event.sequence !== undefined && event.subject),
    ({ event }) => `${event.subject}|${event.source}`,
  );
  for (const [key, group] of streams) {
    sequences.checked++;
    const idsPerSequence = new Map<number, Set<string>>();
    let previous = -1;
    for (const { event } of group) {
      const sequence = event.sequence!;
      const ids = idsPerSequence.get(sequence) ?? new Set<string>();
      const isNew = !ids.has(event.id);
      ids.add(event.id);
      idsPerSequence.set(sequence, ids);
      // A redelivered record may come again later; only a new event must move forward.
      if (isNew && sequence <= previous)
        flag(sequences, 'early', `${key}: sequence ${sequence} after ${previous}`);
      if (isNew) previous = Math.max(previous, sequence);
    }
    for (const [sequence, ids] of idsPerSequence)
      if (ids.size > 1)
        flag(sequences, 'duplicated', `${key}: sequence ${sequence} used by ${ids.size} events`);
    const seen = [...idsPerSequence.keys()].sort((a, b) => a - b);
    const first = seen[0];
    for (let expected = first; expected <= seen[seen.length - 1]; expected++) {
      if (!idsPerSequence.has(expected)) flag(sequences, 'lost', `${key}: sequence ${expected} missing`);
    }
  }
  for (const letter of deadLetters)
    flag(
      sequences,
      'lost',
      `dead letter on ${letter.topic}: ${letter.headers['dlq-reason']} ${letter.headers['dlq-detail'] ?? ''}`.slice(
        0,
        300,
      ),
    );
  sequences.notes = {
    records: records.length,
    events: events.length,
    redelivered: parsed.length - events.length,
    deadLetters: deadLetters.length,
  };
  checks.push(sequences);

  // Nothing wedged: every replica ready, every group caught up.
  const wedged = check('every service ready, lag zero');
  for (const replica of cluster.running()) {
    wedged.checked++;
    const response = await fetch(`${replica.process.url}/health/ready`).catch(() => undefined);
    if (!response?.ok) flag(wedged, 'missed', `${replica.name} not ready`);
  }
  const lag = await consumerLag(kafka, prefix);
  for (const [service, behind] of Object.entries(lag))
    if (behind > 0) flag(wedged, 'missed', `${service} consumer lag ${behind}`);
  if (!quiet.reached) flag(wedged, 'missed', `never quiet: ${quiet.left.join('; ')}`);
  wedged.notes = {
    quietAfterSeconds: quiet.seconds,
    selfExits: cluster.all().reduce((sum, replica) => sum + replica.selfExits, 0),
  };
  checks.push(wedged);

  return {
    checks,
    counts: {
      tickets: load.records.size,
      stored: stored.length,
      agents: tenant.agentIds.length,
      events: events.length,
      mails: smtp.messages.length,
      surveysAnswered: load.surveys.answered,
      surveysUnknown: load.surveys.unknown,
    },
  };
}

function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** The chain's `after` values are PTnS or PTnM in the run's policies. */
function parseSeconds(duration: string): number {
  const match = /^PT(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(duration);
  if (!match) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}
