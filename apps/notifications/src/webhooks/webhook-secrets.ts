import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type NotificationsConfig } from '../config/notifications.config';
import { NOTIFICATIONS_CONFIG } from '../notifications.tokens';

/** Marks a sealed value; a secret a tenant chooses may not start with it. */
export const SEALED_PREFIX = 'enc:v1:';

/**
 * AES-256-GCM, `enc:v1:<iv>.<tag>.<ciphertext>` in base64url. The tenant is authenticated data, so
 * a sealed secret copied onto another tenant's row does not open there.
 */
export function sealSecret(key: Buffer, tenant: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(`webhook-secret:${tenant}`));
  const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${[iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url')).join('.')}`;
}

export function openSecret(key: Buffer, tenant: string, sealed: string): string {
  const parts = sealed.startsWith(SEALED_PREFIX) ? sealed.slice(SEALED_PREFIX.length).split('.') : [];
  if (parts.length !== 3) throw new Error('The webhook secret is not sealed');
  const [iv, tag, text] = parts.map((part) => Buffer.from(part, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', key, iv)
    .setAAD(Buffer.from(`webhook-secret:${tenant}`))
    .setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(text), decipher.final()]).toString('utf8');
  } catch {
    // Wrong key (NOTIFICATIONS_SECRETS_KEY changed) or a tampered row: say so, not "bad decrypt".
    throw new Error('The webhook secret does not open with NOTIFICATIONS_SECRETS_KEY');
  }
}

/** Subscriptions' signing secrets, sealed under NOTIFICATIONS_SECRETS_KEY whenever they are stored. */
@Injectable()
export class WebhookSecrets implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookSecrets.name);

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  seal(tenant: string, plain: string): string {
    return sealSecret(this.config.webhooks.secretsKey, tenant, plain);
  }

  open(tenant: string, sealed: string): string {
    return openSecret(this.config.webhooks.secretsKey, tenant, sealed);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.webhooks.secretsKeyIsDevelopmentDefault)
      this.logger.warn({
        msg: 'NOTIFICATIONS_SECRETS_KEY is not set: webhook secrets are sealed with the public development key',
      });
    await this.sealStoredInPlainText();
  }

  /**
   * Rows written before secrets were sealed. Schema migrations run in a job that holds only the
   * database settings, not the key, so the service seals them when it starts. Each row is replaced
   * only if it still holds the text read, so replicas starting together do not seal twice.
   */
  private async sealStoredInPlainText(): Promise<void> {
    const rows = await this.dataSource.query<Array<{ id: string; tenant: string; secret: string }>>(
      `SELECT id, tenant, secret FROM webhooks WHERE secret IS NOT NULL AND secret NOT LIKE $1`,
      [`${SEALED_PREFIX}%`],
    );
    for (const row of rows) {
      await this.dataSource.query(`UPDATE webhooks SET secret = $1 WHERE id = $2 AND secret = $3`, [
        this.seal(row.tenant, row.secret),
        row.id,
        row.secret,
      ]);
    }
    if (rows.length > 0)
      this.logger.log({ msg: 'Sealed webhook secrets stored in plain text', count: rows.length });
  }
}
