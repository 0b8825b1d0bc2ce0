import { type DeliveryChannel } from '../channels/channel';

/** Queue and job names are part of the data in Redis: frozen strings, never class names. */
export enum DeliveryQueueName {
  Outbound = 'notification-deliveries',
}

export enum DeliveryJobName {
  Send = 'delivery.send',
}

/** Only the ledger id and its channel travel through Redis; message and address stay in Postgres (S4). */
export interface SendJobData {
  deliveryId: string;
  /** Absent from jobs queued by earlier versions; the worker then reads it from the ledger. */
  channel?: DeliveryChannel;
  /** W3C trace context of the work that queued it, when traced: the send continues that trace. */
  traceparent?: string;
}

/** One job per ledger row: enqueuing the same delivery twice is a no-op. */
export function deliveryJobId(deliveryId: string): string {
  return `delivery-${deliveryId}`;
}
