import { type ReceivedMessage } from './smtp-counter';

/**
 * Where a ticket has got to, publish → stored (ticket.created) → assigned (ticket.assigned) →
 * SLA armed (sla.started, first response) → acknowledgment claimed (its ledger row) → sent
 * (accepted by the SMTP sink) → recorded as sent (notification.sent).
 */
export const STAGES = ['stored', 'assigned', 'slaStarted', 'ackClaimed', 'ackSmtp', 'ackEvent'] as const;
export type Stage = (typeof STAGES)[number];

/** Stages seen while the run goes on; `ackClaimed` is read from Postgres in bulk at the end. */
export const LIVE_STAGES: readonly Stage[] = ['stored', 'assigned', 'slaStarted', 'ackSmtp', 'ackEvent'];

export const CUSTOMER_DOMAIN = 'customers.example.com';
export const AGENT_DOMAIN = 'agents.example.com';

/** The acknowledgment promises a time only when SLA's first-response clock reached notifications first. */
const ASAP_PHRASE = /get back to you as soon as possible/;

export interface PhaseRange {
  first: number;
  count: number;
}

/**
 * Every ticket of the run by its index n (its CloudEvent id and externalId are `<tag>-<n>`, its
 * customer `c<n>.<tag>@customers.example.com`), with the instant each stage was reached.
 */
export class StageBook {
  readonly publishedAt: Float64Array;
  readonly at: Record<Stage, Float64Array>;
  readonly ticketIndex = new Map<string, number>();
  staffEmails = 0;
  otherEmails = 0;
  duplicateAcks = 0;
  asapAcks = 0;
  queued = 0;
  readonly deadLettered = new Map<string, number>();
  private readonly early = new Map<string, Array<[Stage, number]>>();
  private readonly phaseOf: Uint16Array;
  /** done[phase][stage]: how many of the phase's tickets reached the stage. */
  private readonly done: Array<Record<Stage, number>> = [];
  private readonly customerPattern: RegExp;

  constructor(
    readonly capacity: number,
    readonly tag: string,
  ) {
    this.publishedAt = new Float64Array(capacity).fill(Number.NaN);
    this.at = Object.fromEntries(
      STAGES.map((stage) => [stage, new Float64Array(capacity).fill(Number.NaN)]),
    ) as Record<Stage, Float64Array>;
    this.phaseOf = new Uint16Array(capacity);
    this.customerPattern = new RegExp(`^c(\\d+)\\.${tag}@${CUSTOMER_DOMAIN.replace(/\./g, '\\.')}$`);
  }

  externalId(n: number): string {
    return `${this.tag}-${n}`;
  }

  customerEmail(n: number): string {
    return `c${n}.${this.tag}@${CUSTOMER_DOMAIN}`;
  }

  /** Declares the tickets [first, first + count) as belonging to phase `phase`. */
  openPhase(phase: number, range: PhaseRange): void {
    if (range.first + range.count > this.capacity) throw new Error('more tickets than planned');
    this.phaseOf.fill(phase, range.first, range.first + range.count);
    this.done[phase] = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  }

  doneIn(phase: number, stage: Stage): number {
    return this.done[phase]?.[stage] ?? 0;
  }

  /** Over every phase so far: how many tickets reached the stage. */
  doneTotal(stage: Stage): number {
    return this.done.reduce((sum, counts) => sum + (counts?.[stage] ?? 0), 0);
  }

  markPublished(first: number, count: number, at: number): void {
    this.publishedAt.fill(at, first, first + count);
  }

  /** ticket.created: the first time the ticket id is known. */
  stored(externalId: unknown, ticketId: string, at: number): void {
    const n = this.indexOf(externalId);
    if (n === undefined) return;
    this.ticketIndex.set(ticketId, n);
    this.mark(n, 'stored', at);
    const waiting = this.early.get(ticketId);
    if (waiting) {
      this.early.delete(ticketId);
      for (const [stage, stageAt] of waiting) this.mark(n, stage, stageAt);
    }
  }

  /** An event about a ticket; it may be read before that ticket's ticket.created. */
  reached(ticketId: string, stage: Stage, at: number): void {
    const n = this.ticketIndex.get(ticketId);
    if (n !== undefined) {
      this.mark(n, stage, at);
      return;
    }
    const waiting = this.early.get(ticketId) ?? [];
    waiting.push([stage, at]);
    this.early.set(ticketId, waiting);
  }

  deadLetter(topic: string): void {
    this.deadLettered.set(topic, (this.deadLettered.get(topic) ?? 0) + 1);
  }

  onMail(message: ReceivedMessage): void {
    for (const recipient of message.recipients) {
      const match = this.customerPattern.exec(recipient);
      if (match) {
        const n = Number(match[1]);
        if (n >= this.capacity) continue;
        if (!Number.isNaN(this.at.ackSmtp[n])) {
          this.duplicateAcks += 1;
          continue;
        }
        if (ASAP_PHRASE.test(message.head)) this.asapAcks += 1;
        this.mark(n, 'ackSmtp', message.receivedAt);
      } else if (recipient.endsWith(`@${AGENT_DOMAIN}`)) {
        this.staffEmails += 1;
      } else {
        this.otherEmails += 1;
      }
    }
  }

  /** Latencies from publish to `stage` for a range of tickets, ms, sorted; plus the last instant. */
  latencies(
    range: PhaseRange,
    stage: Stage,
  ): { sorted: Float64Array; lastAt: number; firstPublished: number } {
    const values: number[] = [];
    let lastAt = Number.NaN;
    let firstPublished = Number.NaN;
    const times = this.at[stage];
    for (let n = range.first; n < range.first + range.count; n++) {
      const published = this.publishedAt[n];
      if (!(firstPublished <= published)) firstPublished = published;
      const at = times[n];
      if (Number.isNaN(at) || Number.isNaN(published)) continue;
      values.push(at - published);
      if (!(lastAt >= at)) lastAt = at;
    }
    return { sorted: Float64Array.from(values).sort(), lastAt, firstPublished };
  }

  private indexOf(externalId: unknown): number | undefined {
    if (typeof externalId !== 'string' || !externalId.startsWith(`${this.tag}-`)) return undefined;
    const n = Number(externalId.slice(this.tag.length + 1));
    return Number.isInteger(n) && n >= 0 && n < this.capacity ? n : undefined;
  }

  private mark(n: number, stage: Stage, at: number): void {
    const times = this.at[stage];
    if (!Number.isNaN(times[n])) return;
    times[n] = at;
    const counts = this.done[this.phaseOf[n]];
    if (counts) counts[stage] += 1;
  }
}
