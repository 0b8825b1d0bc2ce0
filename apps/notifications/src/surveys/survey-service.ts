import { createHash, randomBytes } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { buildEvent } from '@app/contracts';
import { ApiError, conflict, notFound } from '@app/http';
import { eventMeta, OutboxWriter } from '@app/messaging';
import { TicketContact } from '../contacts/ticket-contact.entity';
import { DeliveryLedger } from '../deliveries/delivery-ledger';
import { NOTIFICATIONS_SOURCE } from '../notifications.tokens';
import { TemplateStore } from '../templates/template-store';
import { WebhookFanOut } from '../webhooks/webhook-fan-out';
import { Survey } from './survey.entity';

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Scores that start a recovery step with the team lead instead of being filed away. */
const UNHAPPY = 2;

/** CSAT: one survey per solve, answered once through an unguessable link. */
@Injectable()
export class SurveyService {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly ledger: DeliveryLedger,
    private readonly templates: TemplateStore,
    private readonly webhooks: WebhookFanOut,
  ) {}

  /** A new survey for this solve; the token (256 random bits) exists only in the email's link. */
  async open(manager: EntityManager, tenant: string, ticketId: string, epoch: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await manager
      .createQueryBuilder()
      .insert()
      .into(Survey)
      .values({ tenant, ticketId, epoch, tokenHash: hashToken(token) })
      .orUpdate(['token_hash'], ['tenant', 'ticket_id', 'epoch'])
      .execute();
    return token;
  }

  /** `forAnswer` locks the row: it must be inside the answering transaction. */
  async find(manager: EntityManager, token: string, forAnswer = false): Promise<Survey> {
    const survey = await manager.findOne(Survey, {
      where: { tokenHash: hashToken(token) },
      ...(forAnswer ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!survey) throw notFound('survey_not_found', 'No survey has this link');
    return survey;
  }

  async answer(
    manager: EntityManager,
    token: string,
    score: number,
    comment: string | null,
  ): Promise<Survey> {
    const survey = await this.find(manager, token, true);
    if (survey.answeredAt) throw conflict('survey_already_answered', 'This survey has been answered already');
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'validation_failed',
        'score must be a whole number from 1 to 5',
      );
    }
    const answeredAt = new Date();
    Object.assign(survey, { score, comment, answeredAt });
    await manager.update(Survey, { id: survey.id }, { score, comment, answeredAt });
    const event = buildEvent(
      'survey.answered',
      {
        ticketId: survey.ticketId,
        surveyId: survey.id,
        score,
        comment,
        answeredAt: answeredAt.toISOString(),
      },
      eventMeta(NOTIFICATIONS_SOURCE, survey.ticketId, survey.tenant, { kind: 'http' }),
    );
    await this.outbox.append(manager, event);
    const contact = await manager.findOneBy(TicketContact, {
      tenant: survey.tenant,
      ticketId: survey.ticketId,
    });
    await this.webhooks.apply(manager, event, contact);
    if (score <= UNHAPPY) await this.startRecovery(manager, survey, contact);
    return survey;
  }

  /** A dissatisfied customer is the team lead's to call back. */
  private async startRecovery(
    manager: EntityManager,
    survey: Survey,
    contact: TicketContact | null,
  ): Promise<void> {
    const claim = {
      tenant: survey.tenant,
      ticketId: survey.ticketId,
      reason: 'csat.recovery',
      epoch: survey.epoch,
      recipient: 'team_lead' as const,
    };
    if (!contact?.teamLeadEmail) {
      await this.ledger.recordSkipped(
        manager,
        claim,
        'the ticket’s team has no lead to recover the customer',
      );
      return;
    }
    const message = await this.templates.render(manager, survey.tenant, 'csat.recovery', ['en'], {
      reference: contact.reference ?? survey.ticketId,
      subject: contact.subject ?? '',
      leadName: contact.teamLeadName ?? contact.teamLeadEmail,
      score: String(survey.score),
      comment: survey.comment ?? '(none)',
    });
    await this.ledger.claim(manager, claim, { channel: 'email', to: contact.teamLeadEmail, message });
  }
}
