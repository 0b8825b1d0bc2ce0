import { randomUUID } from 'node:crypto';
import { buildEvent, type EventData, type EventEnvelope } from '@app/contracts';

type TicketCreated = EventData<'ticket.created'>;

export interface TicketCreatedFixture extends Partial<Omit<TicketCreated, 'customer'>> {
  customer?: Partial<TicketCreated['customer']>;
  /** The envelope's tenant; `default` unless given. */
  tenant?: string;
}

/**
 * A `ticket.created` as intake publishes it, built through the contract itself: a change to the
 * event's schema breaks this one place. Every field a test does not care about has a plain value;
 * ids are new each time, so tests sharing a sandbox never meet.
 */
export function ticketCreatedEvent(fixture: TicketCreatedFixture = {}): EventEnvelope<'ticket.created'> {
  const { tenant, customer = {}, ...data } = fixture;
  const ticketId = data.ticketId ?? randomUUID();
  return buildEvent(
    'ticket.created',
    {
      reference: `TCK-${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`,
      status: 'new',
      channel: 'email',
      priority: 'normal',
      subject: 'Help',
      category: null,
      tags: [],
      language: null,
      externalId: null,
      createdAt: new Date().toISOString(),
      ...definedOnly(data),
      ticketId,
      customer: { id: randomUUID(), email: null, name: null, locale: null, ...definedOnly(customer) },
    },
    { source: 'ticketflow/intake', subject: ticketId, tenant },
  );
}

/** What a caller left undefined keeps its default, rather than becoming `undefined`. */
function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
