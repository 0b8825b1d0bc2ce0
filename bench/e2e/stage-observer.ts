import { randomUUID } from 'node:crypto';
import { type Consumer, type Kafka } from 'kafkajs';
import { deadLetterTopic, Topic } from '@app/contracts';
import { type StageBook } from './stage-book';

interface ObservedEvent {
  type?: unknown;
  data?: {
    ticketId?: unknown;
    externalId?: unknown;
    metric?: unknown;
    reason?: unknown;
    recipient?: unknown;
  };
}

const WATCHED = [Topic.TicketEvents, Topic.AssignmentEvents, Topic.SlaEvents, Topic.NotificationEvents];

/**
 * Reads the services' event topics as any downstream system would and books each stage at the
 * broker timestamp of the event that proves it: the instant the service's outbox relay published
 * it, so the observer's own lag on a busy machine does not inflate the figures.
 */
export class StageObserver {
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly book: StageBook,
    private readonly physical: (topic: string) => string,
  ) {}

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    await admin.disconnect();
    const deadLetters = [Topic.TicketsInbound, ...WATCHED].map((topic) =>
      this.physical(deadLetterTopic(topic)),
    );
    const missing = WATCHED.map(this.physical).filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new Error(`the services did not create ${missing.join(', ')}`);
    const dlqSet = new Set(deadLetters);
    const consumer = this.kafka.consumer({ groupId: `bench-observer-${randomUUID()}`, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({
      topics: [...WATCHED.map(this.physical), ...deadLetters.filter((topic) => existing.has(topic))],
      fromBeginning: true,
    });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: ({ batch }) => {
        if (dlqSet.has(batch.topic)) {
          for (let i = 0; i < batch.messages.length; i++) this.book.deadLetter(batch.topic);
          return Promise.resolve();
        }
        for (const message of batch.messages) {
          if (!message.value) continue;
          this.onEvent(JSON.parse(message.value.toString()) as ObservedEvent, Number(message.timestamp));
        }
        return Promise.resolve();
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private onEvent(event: ObservedEvent, at: number): void {
    const ticketId = event.data?.ticketId;
    if (typeof ticketId !== 'string') return;
    switch (event.type) {
      case 'ticket.created':
        this.book.stored(event.data?.externalId, ticketId, at);
        return;
      case 'ticket.assigned':
        this.book.reached(ticketId, 'assigned', at);
        return;
      case 'ticket.queued':
        this.book.queued += 1;
        return;
      case 'sla.started':
        if (event.data?.metric === 'first_response') this.book.reached(ticketId, 'slaStarted', at);
        return;
      case 'notification.sent':
        if (event.data?.reason === 'ticket.acknowledgment' && event.data.recipient === 'customer')
          this.book.reached(ticketId, 'ackEvent', at);
        return;
      default:
        return;
    }
  }
}
