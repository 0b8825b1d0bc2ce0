import { Injectable } from '@nestjs/common';
import { type Delivery } from '../deliveries/delivery.entity';
import { MailSender } from '../email/mail-sender';
import { type ChannelAdapter } from './channel';

/** Email over SMTP. SMTP has no idempotency key a server honours, so a send is never repeated blind. */
@Injectable()
export class EmailChannel implements ChannelAdapter {
  readonly channel = 'email' as const;
  readonly repeatable = false;

  constructor(private readonly mail: MailSender) {}

  async send(delivery: Delivery): Promise<void> {
    await this.mail.send({
      deliveryId: delivery.id,
      to: delivery.toAddress ?? '',
      subject: delivery.subject,
      text: delivery.body,
    });
  }
}
