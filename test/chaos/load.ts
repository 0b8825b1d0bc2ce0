import { type Producer } from 'kafkajs';
import { signedRecordHeaders, Topic } from '@app/contracts';
import { type CapturedMail, TEST_PUBLISHERS } from '@app/testing';
import { type ChaosHttp, type Outcome } from './http-client';
import { type SeededRandom } from './random';
import { type LiveTracker } from './tracker';

export type CreationPath = 'http' | 'inbound' | 'email' | 'chat';
const PATHS: Array<[CreationPath, number]> = [
  ['http', 0.35],
  ['inbound', 0.3],
  ['email', 0.2],
  ['chat', 0.15],
];
const PRIORITIES: Array<[string, number]> = [
  ['urgent', 0.1],
  ['high', 0.25],
  ['normal', 0.5],
  ['low', 0.15],
];

type Step =
  | { at: number; kind: 'agent_reply' }
  | { at: number; kind: 'customer_message' }
  | { at: number; kind: 'status'; to: 'solved' | 'pending' };

/** One ticket's life as the seed drew it; `at` is milliseconds after the load started. */
export interface TicketPlan {
  n: number;
  path: CreationPath;
  priority: string;
  customer: string;
  createAt: number;
  steps: Step[];
}

/** What the load did to one ticket, as far as it can know: the checks compare it with what was stored. */
export interface TicketRecord {
  plan: TicketPlan;
  ticketId?: string;
  /** Messages the ticket must hold: the first one and every customer message (all idempotent). */
  customerMessages: number;
  /** Agent replies that were applied, and those whose answer was lost (0 or 1 of each may exist). */
  agentReplies: { applied: number; unknown: number };
  failures: string[];
}

const pick = <T>(random: SeededRandom, weighted: Array<[T, number]>): T => {
  let roll = random.next();
  for (const [value, weight] of weighted) {
    if ((roll -= weight) < 0) return value;
  }
  return weighted[weighted.length - 1][0];
};

/** Draws every ticket's life from the seed, before anything runs. */
export function planLoad(random: SeededRandom, tickets: number, loadMs: number, seed: number): TicketPlan[] {
  const plans: TicketPlan[] = [];
  for (let n = 1; n <= tickets; n++) {
    const createAt = Math.floor(random.next() * loadMs);
    const steps: Step[] = [];
    let at = createAt;
    if (random.chance(0.75)) {
      steps.push({ at: (at += random.int(1_000, 20_000)), kind: 'agent_reply' });
      if (random.chance(0.35)) {
        steps.push({ at: (at += random.int(2_000, 8_000)), kind: 'customer_message' });
        if (random.chance(0.6)) steps.push({ at: (at += random.int(1_000, 15_000)), kind: 'agent_reply' });
      }
    }
    const ending = random.next();
    if (ending < 0.65) {
      steps.push({ at: (at += random.int(2_000, 10_000)), kind: 'status', to: 'solved' });
      if (random.chance(0.15)) {
        steps.push({ at: (at += random.int(2_000, 6_000)), kind: 'customer_message' });
        if (random.chance(0.5))
          steps.push({ at: at + random.int(2_000, 8_000), kind: 'status', to: 'solved' });
      }
    } else if (ending < 0.75) {
      steps.push({ at: at + random.int(2_000, 5_000), kind: 'status', to: 'pending' });
    }
    // One customer in ten writes again under an address an earlier ticket used.
    const customerNumber = n > 10 && random.chance(0.1) ? random.int(1, n - 1) : n;
    plans.push({
      n,
      path: pick(random, PATHS),
      priority: pick(random, PRIORITIES),
      customer: `customer-${seed}-${customerNumber}@customers.chaos.test`,
      createAt,
      steps,
    });
  }
  return plans.sort((a, b) => a.createAt - b.createAt);
}

const sleepUntil = (epoch: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, epoch - Date.now())));

/**
 * Plays the plans against the running system: tickets through HTTP, the signed inbound topic and
 * the email and chat webhooks; agent replies, pendings, solves and reopens; survey answers as
 * survey mails arrive. Every request that carries its own idempotency is repeated through faults
 * until it is applied; an agent reply, which does not, is sent once and counted as unknown when
 * its answer is lost.
 */
export class Load {
  readonly records = new Map<number, TicketRecord>();
  readonly surveys = { received: 0, answered: 0, unknown: 0 };
  private readonly pendingSurveys: Array<Promise<void>> = [];
  private startedAt = 0;

  constructor(
    private readonly http: ChaosHttp,
    private readonly producer: Producer,
    private readonly tracker: LiveTracker,
    private readonly physical: (topic: string) => string,
    private readonly random: SeededRandom,
    private readonly seed: number,
  ) {}

  /** Runs every plan to its last step. */
  async run(plans: TicketPlan[]): Promise<void> {
    this.startedAt = Date.now();
    await Promise.all(plans.map((plan) => this.live(plan)));
    await Promise.all(this.pendingSurveys);
  }

  /** Answers a survey mail the SMTP sink accepted, as a customer would, or not. */
  onMail(mail: CapturedMail): void {
    const token = /\/v1\/surveys\/([A-Za-z0-9_-]{20,})/.exec(mail.raw.replace(/=\r?\n/g, ''))?.[1];
    if (!token) return;
    this.surveys.received++;
    const answer = this.random.chance(0.6);
    const score = this.random.int(1, 5);
    if (!answer) return;
    this.pendingSurveys.push(
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const outcome = await this.http.request('notifications', 'POST', `/v1/surveys/${token}`, {
          score,
          comment: `chaos ${this.seed}`,
        });
        // 409: answered already, by an earlier try whose answer was lost.
        if (outcome.kind === 'applied' || (outcome.kind === 'refused' && outcome.status === 409)) {
          this.surveys.answered++;
        } else this.surveys.unknown++;
      })(),
    );
  }

  private async live(plan: TicketPlan): Promise<void> {
    const record: TicketRecord = {
      plan,
      customerMessages: 1,
      agentReplies: { applied: 0, unknown: 0 },
      failures: [],
    };
    this.records.set(plan.n, record);
    await sleepUntil(this.startedAt + plan.createAt);
    record.ticketId = await this.create(plan, record);
    if (!record.ticketId) return;
    let customerMessage = 1;
    for (const step of plan.steps) {
      await sleepUntil(this.startedAt + step.at);
      switch (step.kind) {
        case 'agent_reply': {
          const outcome = await this.http.request(
            'intake',
            'POST',
            `/v1/tickets/${record.ticketId}/messages`,
            {
              author: 'agent',
              body: `Reply from support to ticket ${plan.n}.`,
              ...(this.tracker.assigneeOf(record.ticketId) && {
                agentId: this.tracker.assigneeOf(record.ticketId),
              }),
            },
            { key: 'agent' },
          );
          if (outcome.kind === 'applied') record.agentReplies.applied++;
          else if (outcome.kind === 'unknown') record.agentReplies.unknown++;
          else record.failures.push(describe('agent reply', outcome));
          break;
        }
        case 'customer_message': {
          customerMessage++;
          const outcome = await this.customerMessage(plan, record.ticketId, customerMessage);
          if (outcome.kind === 'applied') record.customerMessages++;
          else record.failures.push(describe('customer message', outcome));
          break;
        }
        case 'status': {
          // A status change is idempotent by its target: a repeat of an applied one is refused as
          // an illegal transition (solved → solved), which the run then accepts as applied.
          const outcome = await this.http.request(
            'intake',
            'PATCH',
            `/v1/tickets/${record.ticketId}`,
            { status: step.to },
            { key: 'agent', repeatable: true },
          );
          if (outcome.kind === 'refused' && outcome.status === 409) break;
          if (outcome.kind !== 'applied') record.failures.push(describe(`status ${step.to}`, outcome));
          break;
        }
      }
    }
  }

  private async create(plan: TicketPlan, record: TicketRecord): Promise<string | undefined> {
    const subject = `Chaos ${this.seed} ticket #${plan.n}`;
    const body = `Ticket ${plan.n} of the chaos run needs help with an order.`;
    const externalId = `chaos-${this.seed}-${plan.n}`;
    switch (plan.path) {
      case 'http': {
        const outcome = await this.http.request<{ id: string }>(
          'intake',
          'POST',
          '/v1/tickets',
          {
            channel: 'web',
            customer: { email: plan.customer },
            subject,
            body,
            priority: plan.priority,
            externalId,
          },
          { key: 'publisher', repeatable: true },
        );
        if (outcome.kind === 'applied') return outcome.body.id;
        record.failures.push(describe('create', outcome));
        return undefined;
      }
      case 'inbound': {
        const event = {
          specversion: '1.0',
          id: externalId,
          source: 'chaos-load',
          type: 'ticket.requested',
          datacontenttype: 'application/json',
          data: {
            channel: 'web',
            customer: { email: plan.customer },
            subject,
            body,
            priority: plan.priority,
          },
        };
        await this.publishInbound(plan.n, event);
        return this.waitForTicket(externalId, record);
      }
      case 'email': {
        const raw =
          `From: <${plan.customer}>\r\nTo: <support@ticketflow.local>\r\nSubject: ${subject}\r\n` +
          `Message-ID: <${externalId}-1@customers.chaos.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
        const outcome = await this.http.request<{ ticketId: string }>(
          'intake',
          'POST',
          '/v1/channels/email',
          raw,
          {
            key: 'publisher',
            repeatable: true,
            contentType: 'message/rfc822',
          },
        );
        if (outcome.kind === 'applied') return outcome.body.ticketId;
        record.failures.push(describe('create by email', outcome));
        return undefined;
      }
      case 'chat': {
        const outcome = await this.http.request<{ ticketId: string }>(
          'intake',
          'POST',
          '/v1/channels/chat',
          {
            conversationId: externalId,
            messageId: '1',
            visitor: { email: plan.customer },
            subject,
            text: body,
          },
          { key: 'publisher', repeatable: true },
        );
        if (outcome.kind === 'applied') return outcome.body.ticketId;
        record.failures.push(describe('create by chat', outcome));
        return undefined;
      }
    }
  }

  /** A customer's next message, on the path the ticket came in by; each carries its own id. */
  private customerMessage(plan: TicketPlan, ticketId: string, index: number): Promise<Outcome<unknown>> {
    const externalId = `chaos-${this.seed}-${plan.n}`;
    const body = `Customer message ${index} on ticket ${plan.n}: still waiting.`;
    switch (plan.path) {
      case 'email': {
        const raw =
          `From: <${plan.customer}>\r\nTo: <support@ticketflow.local>\r\nSubject: Re: Chaos ${this.seed} ticket #${plan.n}\r\n` +
          `Message-ID: <${externalId}-${index}@customers.chaos.test>\r\n` +
          `In-Reply-To: <${externalId}-1@customers.chaos.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
        return this.http.request('intake', 'POST', '/v1/channels/email', raw, {
          key: 'publisher',
          repeatable: true,
          contentType: 'message/rfc822',
        });
      }
      case 'chat':
        return this.http.request(
          'intake',
          'POST',
          '/v1/channels/chat',
          {
            conversationId: externalId,
            messageId: String(index),
            visitor: { email: plan.customer },
            text: body,
          },
          { key: 'publisher', repeatable: true },
        );
      case 'http':
      case 'inbound':
        return this.publishInbound(plan.n, {
          specversion: '1.0',
          id: `${externalId}-message-${index}`,
          source: 'chaos-load',
          type: 'ticket.message.received',
          datacontenttype: 'application/json',
          data: { channel: 'web', customer: { email: plan.customer }, body, ticketId },
        }).then(() => ({ kind: 'applied', status: 202, body: undefined }) as const);
    }
  }

  /** Publishes a signed inbound record, trying again through a broker outage. */
  private async publishInbound(n: number, event: object): Promise<void> {
    const value = JSON.stringify(event);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.send({
          topic: this.physical(Topic.TicketsInbound),
          messages: [
            { key: `chaos-${n}`, value, headers: signedRecordHeaders(value, TEST_PUBLISHERS.gateway) },
          ],
        });
        return;
      } catch (error) {
        if (attempt > 200) throw new Error('inbound publish kept failing', { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async waitForTicket(inboundId: string, record: TicketRecord): Promise<string | undefined> {
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      const ticketId = this.tracker.ticketCreatedBy(inboundId);
      if (ticketId) return ticketId;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    record.failures.push(`no ticket.created for inbound ${inboundId} within 300 s`);
    return undefined;
  }
}

function describe(what: string, outcome: Outcome<unknown>): string {
  return outcome.kind === 'refused'
    ? `${what}: ${outcome.status} ${JSON.stringify(outcome.body).slice(0, 300)}`
    : `${what}: ${outcome.kind === 'unknown' ? outcome.reason : 'applied'}`;
}
