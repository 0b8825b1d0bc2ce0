import { type AnyEvent } from '@app/contracts';

/**
 * What the timeline keeps of each event: ids, states and times only. Names, addresses, subjects
 * and bodies stay out, so the timeline can be shown and logged without exposing personal data.
 */
export function timelineDetails(event: AnyEvent): Record<string, unknown> {
  switch (event.type) {
    case 'ticket.requested':
    case 'ticket.message.received':
      return { channel: event.data.channel };
    case 'conversation.escalated':
      return { channel: event.data.channel, transcriptLength: event.data.transcript.length };
    case 'ticket.created':
      return {
        channel: event.data.channel,
        priority: event.data.priority,
        status: event.data.status,
        language: event.data.language,
        languageSource: event.data.languageSource,
        followUpOf: event.data.followUpOf,
        escalated: Boolean(event.data.escalationReason),
      };
    case 'ticket.updated': {
      // Metadata values are the sender's and may be personal: the timeline names the keys only.
      const { metadata, ...changes } = event.data.changes;
      return metadata
        ? { changes: { ...changes, metadata: { keys: changedKeys(metadata.from, metadata.to) } } }
        : { changes };
    }
    case 'ticket.transition.requested':
      return { from: event.data.from, to: event.data.to, reason: event.data.reason };
    case 'survey.answered':
      return { surveyId: event.data.surveyId, score: event.data.score };
    case 'agent.changed':
      return { agentId: event.data.agentId, status: event.data.status, removed: event.data.removed };
    case 'customer.merged':
      return {
        targetCustomerId: event.data.targetCustomerId,
        sourceCustomerId: event.data.sourceCustomerId,
      };
    case 'ticket.message.added':
      return {
        messageId: event.data.messageId,
        author: event.data.author,
        agentId: event.data.agentId,
        internal: event.data.internal,
        firstResponse: event.data.firstResponse,
        nextResponse: event.data.nextResponse ?? false,
        channel: event.data.channel,
      };
    case 'ticket.status.changed':
      return { from: event.data.from, to: event.data.to, reason: event.data.reason };
    case 'ticket.assigned':
      return { agentId: event.data.agentId, teamId: event.data.teamId, reason: event.data.reason };
    case 'ticket.queued':
      return { reason: event.data.reason };
    case 'ticket.unassigned':
      return { agentId: event.data.agentId, reason: event.data.reason };
    case 'ticket.reassigned':
      return {
        fromAgentId: event.data.fromAgentId,
        agentId: event.data.agentId,
        teamId: event.data.teamId,
        reason: event.data.reason,
      };
    case 'ticket.overflow.stopped':
      return {
        agentId: event.data.agentId,
        teamId: event.data.teamId,
        overflows: event.data.overflows,
        reason: event.data.reason,
        epoch: event.data.epoch,
      };
    case 'sla.started':
      return {
        metric: event.data.metric,
        target: event.data.target,
        dueAt: event.data.dueAt,
        policyId: event.data.policyId,
        policyVersion: event.data.policyVersion,
      };
    case 'sla.paused':
      return { metric: event.data.metric, status: event.data.status, elapsedMs: event.data.elapsedMs };
    case 'sla.resumed':
      return { metric: event.data.metric, pausedMs: event.data.pausedMs, dueAt: event.data.dueAt };
    case 'sla.warning':
      return { metric: event.data.metric, fraction: event.data.fraction, dueAt: event.data.dueAt };
    case 'sla.escalated':
      return { metric: event.data.metric, step: event.data.step, notify: event.data.notify };
    case 'sla.recomputed':
      return {
        metric: event.data.metric,
        reason: event.data.reason,
        previousDueAt: event.data.previous.dueAt,
        dueAt: event.data.current.dueAt,
      };
    case 'sla.breached':
      return { metric: event.data.metric, dueAt: event.data.dueAt, breachedAt: event.data.breachedAt };
    case 'sla.met':
      return { metric: event.data.metric, dueAt: event.data.dueAt, metAt: event.data.metAt };
    case 'notification.sent':
      return {
        deliveryId: event.data.deliveryId,
        reason: event.data.reason,
        recipient: event.data.recipient,
        channel: event.data.channel,
      };
  }
}

function changedKeys(from: Record<string, unknown>, to: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
  return [...keys].filter((key) => from[key] !== to[key]).sort();
}
