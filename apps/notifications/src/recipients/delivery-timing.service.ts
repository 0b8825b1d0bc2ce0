import { Inject, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type NotificationsConfig } from '../config/notifications.config';
import { type DeliveryClaim, type Outgoing } from '../deliveries/delivery-ledger';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';
import { afterQuietHours, nextDigestAt } from './delivery-timing';
import { RecipientPreference } from './recipient-preference.entity';

export interface DeliveryHold {
  holdUntil: Date | null;
  batchKey: string | null;
}

/**
 * When an email to staff may go, and with what: notices about one ticket wait out a short window
 * so a burst becomes one email, a lead who chose digests gets one per interval, and nobody is
 * written to during their quiet hours. Customers' emails and webhooks are never held.
 */
@Injectable()
export class DeliveryTiming {
  constructor(@Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig) {}

  async holdFor(manager: EntityManager, claim: DeliveryClaim, outgoing: Outgoing): Promise<DeliveryHold> {
    if (outgoing.channel !== 'email' || claim.recipient === 'customer')
      return { holdUntil: null, batchKey: null };
    const now = new Date();
    const preference = await manager.findOneBy(RecipientPreference, {
      tenant: claim.tenant,
      email: outgoing.to.toLowerCase(),
    });
    const { coalesceWindowMs, digestIntervalMs } = this.config.batching;
    let holdUntil: Date | null = null;
    let batchKey: string | null = null;
    if (preference?.digest && claim.recipient === 'team_lead') {
      holdUntil = nextDigestAt(now, digestIntervalMs);
      batchKey = 'digest';
    } else if (coalesceWindowMs > 0) {
      holdUntil = new Date(now.getTime() + coalesceWindowMs);
      batchKey = `ticket:${claim.ticketId}`;
    }
    if (preference?.quietFrom && preference.quietTo) {
      const after = afterQuietHours(holdUntil ?? now, {
        from: preference.quietFrom,
        to: preference.quietTo,
        timeZone: preference.timeZone,
      });
      if (after.getTime() !== (holdUntil ?? now).getTime()) holdUntil = after;
    }
    return { holdUntil, batchKey };
  }
}
