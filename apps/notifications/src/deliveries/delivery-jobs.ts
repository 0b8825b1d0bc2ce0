/** Queue and job names are part of the data in Redis: frozen strings, never class names. */
export enum DeliveryQueueName {
  Outbound = 'notification-deliveries',
}

export enum DeliveryJobName {
  Send = 'delivery.send',
}

/** Only the ledger id travels through Redis; the message and address stay in Postgres (S4). */
export interface SendJobData {
  deliveryId: string;
}

/** One job per ledger row: enqueuing the same delivery twice is a no-op. */
export function deliveryJobId(deliveryId: string): string {
  return `delivery-${deliveryId}`;
}
