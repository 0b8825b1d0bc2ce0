import { type KafkaMessage } from 'kafkajs';
import {
  type AnyEvent,
  InvalidEventError,
  isRecordSignedWith,
  PUBLISHER_HEADER,
  SIGNATURE_HEADER,
} from '@app/contracts';

/** Another system allowed to publish on the inbound topic, and the tenants it may act in. */
export interface InboundPublisher {
  name: string;
  tenants: readonly string[];
  /** More than one while a secret is being rotated. */
  secrets: readonly string[];
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MIN_SECRET_LENGTH = 32;

/**
 * Parses `name:tenant[|tenant...]:secret` entries separated by commas. A name may appear twice
 * with the same tenants and two secrets, so a publisher can move to a new secret without a gap.
 */
export function parseInboundPublishers(spec: string): InboundPublisher[] {
  const byName = new Map<string, InboundPublisher>();
  for (const entry of spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [name, tenantList, secret, ...rest] = entry.split(':');
    if (rest.length > 0 || !name || !tenantList || !secret) {
      throw new Error(`"${name ?? ''}:…" is not name:tenant[|tenant...]:secret`);
    }
    if (!NAME.test(name)) throw new Error(`publisher name "${name}" must match ${NAME.source}`);
    const tenants = tenantList.split('|');
    const badTenant = tenants.find((tenant) => !TENANT.test(tenant));
    if (badTenant !== undefined)
      throw new Error(`publisher ${name}: tenant "${badTenant}" must match ${TENANT.source}`);
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`publisher ${name}: the secret must have at least ${MIN_SECRET_LENGTH} characters`);
    }
    const known = byName.get(name);
    if (!known) {
      byName.set(name, { name, tenants: [...new Set(tenants)], secrets: [secret] });
    } else if ([...new Set(tenants)].sort().join('|') !== [...known.tenants].sort().join('|')) {
      throw new Error(`publisher ${name} is listed twice with different tenants`);
    } else {
      byName.set(name, { ...known, secrets: [...known.secrets, secret] });
    }
  }
  return [...byName.values()];
}

function headerValue(message: Pick<KafkaMessage, 'headers'>, name: string): string | undefined {
  const value = message.headers?.[name];
  if (value === undefined || Array.isArray(value)) return undefined;
  return value.toString();
}

/**
 * Who may publish on a signed topic. A record is believed only when its signature header matches
 * its value under the secret of the publisher its publisher header names, and its event only when
 * it is for one of that publisher's tenants.
 */
export class PublisherDirectory {
  private readonly byName: ReadonlyMap<string, InboundPublisher>;

  constructor(publishers: readonly InboundPublisher[]) {
    this.byName = new Map(publishers.map((publisher) => [publisher.name, publisher]));
  }

  get size(): number {
    return this.byName.size;
  }

  /** The publisher that signed `message`; a record nobody we know signed is refused unread. */
  authenticate(message: Pick<KafkaMessage, 'headers' | 'value'>): InboundPublisher {
    const name = headerValue(message, PUBLISHER_HEADER);
    const signature = headerValue(message, SIGNATURE_HEADER);
    if (name === undefined || signature === undefined) {
      throw new InvalidEventError(
        'unauthenticated',
        `the ${PUBLISHER_HEADER} and ${SIGNATURE_HEADER} headers are required`,
      );
    }
    const publisher = this.byName.get(name);
    const value = message.value ?? Buffer.alloc(0);
    if (!publisher || !publisher.secrets.some((secret) => isRecordSignedWith(value, signature, secret))) {
      // One answer for an unknown name and a wrong signature: nothing to learn about which names exist.
      throw new InvalidEventError('unauthenticated', `the signature does not match a known publisher`);
    }
    return publisher;
  }
}

/** The tenant an event of `publisher` belongs to when it names none: its only tenant, if it has one. */
export function onlyTenantOf(publisher: InboundPublisher): string | undefined {
  return publisher.tenants.length === 1 ? publisher.tenants[0] : undefined;
}

/** Refuses an event for a tenant its publisher may not act in. */
export function authorizeTenant(publisher: InboundPublisher, event: AnyEvent): void {
  if (!publisher.tenants.includes(event.tenant)) {
    throw new InvalidEventError(
      'refused',
      `publisher ${publisher.name} may not act in tenant ${event.tenant}`,
    );
  }
}
