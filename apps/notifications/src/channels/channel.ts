import { type Delivery } from '../deliveries/delivery.entity';

export const DELIVERY_CHANNELS = ['email', 'webhook', 'slack'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/**
 * One way out. The worker hands an adapter a claimed ledger row; the adapter sends it or throws.
 * A new channel (SMS, Teams, ...) is one more implementation registered in `CHANNEL_ADAPTERS`.
 */
export interface ChannelAdapter {
  readonly channel: DeliveryChannel;
  /**
   * Whether a send whose outcome is unknown (the process died mid-send) may be repeated: true
   * only where the receiver deduplicates on the idempotency key, as signed webhooks promise to.
   */
  readonly repeatable: boolean;
  send(delivery: Delivery): Promise<void>;
}

export const CHANNEL_ADAPTERS = Symbol('CHANNEL_ADAPTERS');

/** An HTTP answer that is not 2xx: the receiver refused this attempt. */
export class ReceiverRefusedError extends Error {
  constructor(readonly status: number) {
    super(`The receiver answered HTTP ${status}`);
    this.name = 'ReceiverRefusedError';
  }
}

/**
 * A send that would fail the same way every time (a destination policy refuses): the delivery is
 * marked failed at once instead of spending its retries.
 */
export class PermanentDeliveryError extends Error {}
