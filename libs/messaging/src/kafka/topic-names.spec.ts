import { Topic } from '@app/contracts';
import { TopicNames } from './topic-names';

describe('topic names', () => {
  it('namespaces every topic and its dead-letter topic with the deployment prefix', () => {
    const names = new TopicNames('staging.');
    expect(names.physical(Topic.TicketEvents)).toBe('staging.tickets.events.v1');
    expect(names.deadLetter(Topic.TicketsInbound)).toBe('staging.tickets.inbound.v1.dlq');
    expect(names.logical('staging.sla.events.v1')).toBe('sla.events.v1');
  });

  it('uses the logical names as they are without a prefix', () => {
    const names = new TopicNames('');
    expect(names.physical(Topic.SlaEvents)).toBe('sla.events.v1');
    expect(names.logical('sla.events.v1')).toBe('sla.events.v1');
    expect(names.deadLetter(Topic.SlaEvents)).toBe('sla.events.v1.dlq');
  });

  it('leaves a name from another namespace untouched', () => {
    expect(new TopicNames('prod.').logical('staging.sla.events.v1')).toBe('staging.sla.events.v1');
  });
});
