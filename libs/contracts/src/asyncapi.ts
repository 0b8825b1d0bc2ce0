import { z } from 'zod';
import { envelopeSchema } from './envelope';
import { EVENTS, eventTypesOn } from './registry';
import { ALL_TOPICS, deadLetterTopic } from './topics';

const PUBLISHERS: Record<string, string> = {
  'tickets.inbound.v1': 'other systems (email gateways, chat widgets, chatbots, ...)',
  'tickets.events.v1': 'intake',
  'routing.assignments.v1': 'routing',
  'routing.agents.v1': 'routing',
  'sla.events.v1': 'sla',
  'notifications.events.v1': 'notifications',
};

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
      description: `Published by ${PUBLISHERS[topic]}. Invalid messages are moved to \`${deadLetterTopic(topic)}\` with dlq-* headers.`,
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
