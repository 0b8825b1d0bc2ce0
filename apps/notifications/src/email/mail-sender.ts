import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { HealthService } from '@app/observability';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';

export interface OutgoingMail {
  /** The delivery id: the Message-ID, so a resent copy is recognisably the same message (R5). */
  deliveryId: string;
  to: string;
  subject: string;
  text: string;
}

/** SMTP through nodemailer, configured by `SMTP_URL`. */
@Injectable()
export class MailSender implements OnModuleInit, OnModuleDestroy {
  private readonly transporter: Transporter;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly health: HealthService,
  ) {
    this.transporter = createTransport(config.smtp.url);
  }

  onModuleInit(): void {
    this.health.register('smtp', async () => {
      await this.transporter.verify();
    });
  }

  onModuleDestroy(): void {
    this.transporter.close();
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transporter.sendMail({
      from: this.config.smtp.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      messageId: messageIdOf(mail.deliveryId),
      headers: { 'X-Ticketflow-Delivery': mail.deliveryId },
    });
  }
}

export function messageIdOf(deliveryId: string): string {
  return `<${deliveryId}@ticketflow>`;
}
