import { z } from 'zod';
import { envelopeSchema } from './envelope';
import { EVENTS, eventTypesOn } from './registry';
import { PUBLISHER_HEADER, SIGNATURE_HEADER } from './signed-records';
import { ALL_TOPICS, deadLetterTopic, Topic } from './topics';

const PUBLISHERS: Record<Topic, string> = {
  [Topic.TicketsInbound]: 'other systems (email gateways, chat widgets, chatbots, ...)',
  [Topic.TicketCommands]: 'notifications (internal: no outside publisher may write here)',
  [Topic.TicketEvents]: 'intake',
  [Topic.CustomerEvents]: 'intake',
  [Topic.AssignmentEvents]: 'routing',
  [Topic.AgentEvents]: 'routing',
  [Topic.SlaEvents]: 'sla',
  [Topic.NotificationEvents]: 'notifications',
};

const SIGNED_RECORD_HEADERS = {
  type: 'object',
  required: [PUBLISHER_HEADER, SIGNATURE_HEADER],
  properties: {
    [PUBLISHER_HEADER]: {
      type: 'string',
      description: "The publisher name from intake's INBOUND_PUBLISHERS.",
    },
    [SIGNATURE_HEADER]: {
      type: 'string',
      pattern: '^sha256=[0-9a-f]{64}$',
      description:
        "sha256= and the hex HMAC-SHA256 of the exact record value bytes under the publisher's secret.",
    },
  },
};

const INBOUND_DESCRIPTION =
  'Each record must be signed by a publisher intake knows (INBOUND_PUBLISHERS: a name, the tenants it may act in, a secret). ' +
  "The `tenant` attribute must be one of the publisher's tenants; without it the event belongs to the publisher's only tenant. " +
  'Unsigned or wrongly signed records are dead-lettered as `unauthenticated`, events for another tenant as `refused`; neither creates anything or holds up the records behind it.';

const messageName = (type: string) => type.replace(/\./g, '_');

/**
 * The AsyncAPI 3.0 description of every topic and event, generated from the same zod schemas
 * that validate events at build and parse time, so the document cannot drift from the code.
 */
export function asyncApiDocument(): Record<string, unknown> {
  const envelope = z.toJSONSchema(envelopeSchema.omit({ data: true }), { io: 'input' });
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = { Envelope: envelope };
  for (const [type, definition] of Object.entries(EVENTS)) {
    const name = messageName(type);
    schemas[name] = z.toJSONSchema(definition.data, { io: 'input' });
    messages[name] = {
      ...(definition.topic === Topic.TicketsInbound ? { headers: SIGNED_RECORD_HEADERS } : {}),
      name: type,
      title: type,
      contentType: 'application/cloudevents+json',
      summary: `CloudEvents 1.0 structured-mode event \`${type}\` (schema version ${definition.version}); the Kafka key is the ticket id.`,
      payload: {
        allOf: [
          { $ref: '#/components/schemas/Envelope' },
          {
            type: 'object',
            required: ['type', 'data'],
            properties: { type: { const: type }, data: { $ref: `#/components/schemas/${name}` } },
          },
        ],
      },
    };
  }
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const topic of ALL_TOPICS) {
    const key = messageName(topic);
    channels[key] = {
      address: topic,
      description: [
        `Published by ${PUBLISHERS[topic]}.`,
        ...(topic === Topic.TicketsInbound ? [INBOUND_DESCRIPTION] : []),
        `Invalid messages are moved to \`${deadLetterTopic(topic)}\` with dlq-* headers.`,
      ].join(' '),
      messages: Object.fromEntries(
        eventTypesOn(topic).map((type) => [
          messageName(type),
          { $ref: `#/components/messages/${messageName(type)}` },
        ]),
      ),
    };
    operations[`publish_${key}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${key}` },
      summary: `${PUBLISHERS[topic]} publishes to ${topic}`,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'ticketflow events',
      version: '1.0.0',
      description:
        'Every Kafka topic of the ticket workflow. Topic names are versioned; events carry CloudEvents attributes plus tenant, correlationid, causationid, schemaversion and a per-ticket sequence.',
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}
