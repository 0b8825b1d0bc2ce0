import { randomBytes } from 'node:crypto';
import { type Consumer, type Kafka } from 'kafkajs';
import { type AnyEvent, Topic } from '@app/contracts';

/**
 * What the load needs to know while it runs, read from the topics as any consumer would: which
 * ticket an inbound event became, and who holds each ticket now. The checks at the end read the
 * topics again from the start and do not rely on this.
 */
export class LiveTracker {
  /** Inbound event id → the ticket it created. */
  private readonly createdBy = new Map<string, string>();
  private readonly assignees = new Map<string, string>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly physical: (topic: string) => string,
  ) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({
      groupId: `chaos-tracker-${randomBytes(4).toString('hex')}`,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 2_000 },
    });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [this.physical(Topic.TicketEvents), this.physical(Topic.AssignmentEvents)],
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: ({ message }) => {
        if (!message.value) return Promise.resolve();
        const event = JSON.parse(message.value.toString()) as AnyEvent;
        if (event.type === 'ticket.created' && event.causationid) {
          this.createdBy.set(event.causationid, event.data.ticketId);
        } else if (event.type === 'ticket.assigned' || event.type === 'ticket.reassigned') {
          this.assignees.set(event.data.ticketId, event.data.agentId);
        } else if (event.type === 'ticket.unassigned') {
          this.assignees.delete(event.data.ticketId);
        }
        return Promise.resolve();
      },
    });
  }

  ticketCreatedBy(inboundId: string): string | undefined {
    return this.createdBy.get(inboundId);
  }

  assigneeOf(ticketId: string): string | undefined {
    return this.assignees.get(ticketId);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
