import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type AnyEvent, type EventEnvelope } from '@app/contracts';
import { validTimeZone } from '../templates/render-template';
import { DirectoryAgent } from './directory-agent.entity';
import { TicketContact } from './ticket-contact.entity';

/**
 * Keeps `ticket_contacts` current from intake's, routing's and SLA's events: who to write to about
 * a ticket and in which state it is. The topics are not ordered with each other, so each event
 * writes only its own columns.
 */
export interface ContactChange {
  /** As it was before this event, e.g. the assignee a reassignment replaced. */
  before: TicketContact | null;
  after: TicketContact | null;
}

@Injectable()
export class ContactBook {
  /** The directory of agents, so an escalation can name any of them by id. */
  async applyAgent(manager: EntityManager, event: EventEnvelope<'agent.changed'>): Promise<void> {
    const { agentId, name, email, teamId, removed } = event.data;
    if (removed) await manager.delete(DirectoryAgent, { tenant: event.tenant, agentId });
    else
      await manager.upsert(DirectoryAgent, { tenant: event.tenant, agentId, name, email, teamId }, [
        'tenant',
        'agentId',
      ]);
  }

  async apply(manager: EntityManager, event: AnyEvent): Promise<ContactChange> {
    const key = { tenant: event.tenant, ticketId: (event.data as { ticketId: string }).ticketId };
    // Only a reassignment needs the contact as it was (the assignee it replaced).
    const before = event.type === 'ticket.reassigned' ? await manager.findOneBy(TicketContact, key) : null;
    switch (event.type) {
      case 'ticket.created': {
        const { data } = event;
        await manager.upsert(
          TicketContact,
          {
            ...key,
            reference: data.reference,
            subject: data.subject,
            language: data.language,
            channel: data.channel,
            status: data.status,
            customerEmail: data.customer.email,
            customerName: data.customer.name,
            customerLocale: data.customer.locale,
            customerTimeZone: validTimeZone(data.metadata?.timeZone),
          },
          ['tenant', 'ticketId'],
        );
        break;
      }
      case 'ticket.status.changed':
        // The epoch counts status changes: it is what makes follow-ups of an earlier status stale.
        await manager.query(
          `INSERT INTO ticket_contacts (tenant, ticket_id, status, status_epoch) VALUES ($1, $2, $3, 1)
           ON CONFLICT (tenant, ticket_id)
           DO UPDATE SET status = EXCLUDED.status, status_epoch = ticket_contacts.status_epoch + 1, updated_at = now()`,
          [key.tenant, key.ticketId, event.data.to],
        );
        break;
      case 'ticket.assigned':
      case 'ticket.reassigned':
        await manager.upsert(
          TicketContact,
          {
            ...key,
            assigneeId: event.data.agentId,
            assigneeName: event.data.agent.name,
            assigneeEmail: event.data.agent.email,
            ...(event.data.teamLead !== undefined
              ? {
                  teamLeadName: event.data.teamLead?.name ?? null,
                  teamLeadEmail: event.data.teamLead?.email ?? null,
                }
              : {}),
          },
          ['tenant', 'ticketId'],
        );
        break;
      case 'ticket.unassigned':
        // Only if still theirs: the next assignment may have arrived first.
        await manager.update(
          TicketContact,
          { ...key, assigneeId: event.data.agentId },
          { assigneeId: null, assigneeName: null, assigneeEmail: null },
        );
        break;
      case 'sla.started':
      case 'sla.recomputed':
        if (event.data.metric === 'first_response') {
          const dueAt = event.type === 'sla.started' ? event.data.dueAt : event.data.current.dueAt;
          await manager.upsert(
            TicketContact,
            { ...key, firstResponseDueAt: dueAt ? new Date(dueAt) : null },
            ['tenant', 'ticketId'],
          );
        }
        break;
      // Nothing here changes who to write to or the ticket's state.
      case 'ticket.requested':
      case 'ticket.message.received':
      case 'conversation.escalated':
      case 'ticket.transition.requested':
      case 'ticket.message.added':
      case 'ticket.updated':
      case 'customer.merged':
      case 'ticket.queued':
      case 'ticket.overflow.stopped':
      case 'sla.paused':
      case 'sla.resumed':
      case 'sla.warning':
      case 'sla.breached':
      case 'sla.escalated':
      case 'sla.met':
      case 'notification.sent':
      case 'survey.answered':
      case 'agent.changed':
        break;
    }
    // A breach locks the contact, as an assignment's upsert does: whichever comes second sees the
    // other, so a breach notice kept for the next assignee is never missed by that assignment.
    const after = await manager.findOne(TicketContact, {
      where: key,
      ...(event.type === 'sla.breached' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    return { before, after };
  }
}
