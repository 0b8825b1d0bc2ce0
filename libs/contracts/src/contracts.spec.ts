import { randomUUID } from 'node:crypto';
import { buildEvent, causedBy } from './build-event';
import { InvalidEventError } from './errors';
import { envelopeTenant, parseEvent, serializeEvent } from './parse-event';
import { eventTypesOn, topicOf } from './registry';
import { deadLetterTopic, Topic } from './topics';

const ticketId = randomUUID();
const queued = { ticketId, reason: 'no online agent with free capacity', queuedAt: new Date().toISOString() };

function rejection(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected an InvalidEventError');
}

describe('buildEvent', () => {
  it('wraps a valid payload in a CloudEvents envelope with our extensions', () => {
    const event = buildEvent('ticket.queued', queued, {
      source: 'ticketflow/routing',
      subject: ticketId,
      tenant: 'acme',
    });
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'ticket.queued',
      source: 'ticketflow/routing',
      subject: ticketId,
      tenant: 'acme',
      schemaversion: 1,
      datacontenttype: 'application/json',
    });
    expect(event.correlationid).toBe(event.id);
    expect(Date.parse(event.time)).not.toBeNaN();
  });

  it('refuses a payload that breaks its schema, naming the field', () => {
    const error = rejection(() =>
      buildEvent('ticket.queued', { ...queued, ticketId: 'not-a-uuid' }, { source: 'test' }),
    );
    expect(error.code).toBe('invalid_data');
    expect(error.detail).toContain('ticketId');
  });

  it('carries tenant and correlation from the causing event', () => {
    const cause = buildEvent('ticket.queued', queued, {
      source: 'a',
      tenant: 'acme',
      correlationId: 'corr-1',
    });
    const meta = causedBy(cause, 'b', ticketId);
    expect(meta).toEqual({
      source: 'b',
      subject: ticketId,
      tenant: 'acme',
      correlationId: 'corr-1',
      causationId: cause.id,
    });
  });
});

describe('parseEvent', () => {
  const valid = () =>
    buildEvent('ticket.queued', queued, { source: 'ticketflow/routing', subject: ticketId });

  it('round-trips a built event', () => {
    const event = valid();
    expect(parseEvent(serializeEvent(event))).toEqual(event);
  });

  it('defaults the tenant of an inbound event that names none', () => {
    const raw = JSON.stringify({
      specversion: '1.0',
      id: 'evt-1',
      source: 'mail-gateway',
      type: 'ticket.requested',
      data: { channel: 'email', customer: { email: 'a@example.com' }, subject: 'Hi', body: 'Help' },
    });
    const event = parseEvent(raw, { topic: Topic.TicketsInbound });
    expect(event.tenant).toBe('default');
    expect(event.type).toBe('ticket.requested');
  });

  it.each([
    ['malformed_json', '{"specversion":'],
    ['invalid_envelope', JSON.stringify({ id: 'x', type: 'ticket.queued', data: {} })],
    [
      'unknown_type',
      JSON.stringify({ specversion: '1.0', id: 'x', source: 's', type: 'ticket.exploded', data: {} }),
    ],
    [
      'invalid_data',
      JSON.stringify({
        specversion: '1.0',
        id: 'x',
        source: 's',
        type: 'ticket.queued',
        data: { ticketId: 1 },
      }),
    ],
  ])('rejects %s input with that code', (code, raw) => {
    expect(rejection(() => parseEvent(raw)).code).toBe(code);
  });

  it('rejects an oversized value before parsing it', () => {
    expect(rejection(() => parseEvent(Buffer.alloc(2048, 32), { maxBytes: 1024 })).code).toBe('too_large');
  });

  it('rejects an event published on the wrong topic', () => {
    expect(rejection(() => parseEvent(serializeEvent(valid()), { topic: Topic.TicketsInbound })).code).toBe(
      'wrong_topic',
    );
  });

  it('never echoes payload values in the rejection detail', () => {
    const secret = 'canary-4242@example.com';
    const raw = JSON.stringify({
      specversion: '1.0',
      id: 'x',
      source: 's',
      type: 'ticket.requested',
      data: { channel: 'fax', customer: { email: secret }, subject: '', body: secret },
    });
    const error = rejection(() => parseEvent(raw));
    expect(error.code).toBe('invalid_data');
    expect(error.detail).toContain('channel');
    expect(error.message).not.toContain(secret);
    expect(rejection(() => parseEvent(`{"email":"${secret}"`)).message).not.toContain(secret);
  });
});

describe('envelopeTenant', () => {
  const envelope = (fields: Record<string, unknown>) =>
    JSON.stringify({ specversion: '1.0', id: 'x', source: 's', type: 'ticket.queued', data: {}, ...fields });

  it('names the tenant of a message whose envelope is valid, however wrong its type or data', () => {
    expect(envelopeTenant(envelope({ tenant: 'acme', data: { ticketId: 1 } }))).toBe('acme');
    expect(envelopeTenant(envelope({ tenant: 'acme', type: 'ticket.exploded' }))).toBe('acme');
  });

  it('takes the default tenant for an envelope naming none, as parseEvent does', () => {
    expect(envelopeTenant(envelope({}))).toBe('default');
    expect(envelopeTenant(envelope({}), { defaultTenant: 'acme' })).toBe('acme');
  });

  it.each([
    ['not JSON', '{"tenant":"acme"'],
    ['no CloudEvent', JSON.stringify({ tenant: 'acme' })],
    ['an invalid tenant', envelope({ tenant: 'Not A Tenant' })],
  ])('names none for %s', (_, raw) => {
    expect(envelopeTenant(raw)).toBeUndefined();
  });

  it('names none for a value too large to parse', () => {
    expect(envelopeTenant(envelope({ tenant: 'acme' }), { maxBytes: 10 })).toBeUndefined();
    expect(envelopeTenant(null)).toBeUndefined();
  });
});

describe('topics', () => {
  it('maps each event type to exactly one topic and names its dead-letter topic', () => {
    expect(topicOf('ticket.requested')).toBe(Topic.TicketsInbound);
    expect(eventTypesOn(Topic.AssignmentEvents)).toEqual([
      'ticket.assigned',
      'ticket.queued',
      'ticket.unassigned',
      'ticket.reassigned',
      'ticket.overflow.stopped',
    ]);
    expect(deadLetterTopic(Topic.TicketsInbound)).toBe('tickets.inbound.v1.dlq');
  });
});
