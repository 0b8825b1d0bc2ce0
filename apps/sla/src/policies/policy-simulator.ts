import { HttpStatus, Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsISO8601, IsObject, ValidateNested } from 'class-validator';
import { type EntityManager } from 'typeorm';
import {
  parseIsoDuration,
  type Priority,
  type SlaMetric,
  type TicketMetadata,
  ticketMatches,
} from '@app/contracts';
import { ApiError, notFound } from '@app/http';
import { addBusinessTime, ALWAYS_OPEN } from '../calendars/business-time';
import { Calendar } from '../calendars/calendar.entity';
import { SlaPolicyDto } from './dto/sla-policy.dto';
import { unschedulableTargets } from './policy-targets';
import { targetFor } from './sla-policy.entity';

export class SimulateDto {
  @ApiProperty({ type: SlaPolicyDto, description: 'The draft: nothing is saved' })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SlaPolicyDto)
  policy: SlaPolicyDto;

  @ApiProperty({ example: '2026-11-01T00:00:00Z' }) @IsISO8601({ strict: true }) from: string;
  @ApiProperty({ example: '2026-12-01T00:00:00Z' }) @IsISO8601({ strict: true }) to: string;
}

/** A ticket opened in the window, as SLA's replica knows it. */
interface PastTicket {
  ticket_id: string;
  channel: string;
  priority: Priority;
  category: string | null;
  tags: string[];
  metadata: TicketMetadata;
  opened_at: Date;
  first_replied_at: Date | null;
  solved_at: Date | null;
}

interface PastClock {
  ticket_id: string;
  metric: SlaMetric;
  state: string;
  started_at: Date;
  met_at: Date | null;
  paused_seconds: number;
}

/** One metric of one ticket as it really went: when it started, when it was met, how long it paused. */
interface Replay {
  startedAt: Date;
  endedAt: Date | null;
  pausedSeconds: number;
  breached: boolean;
}

const METRICS: SlaMetric[] = ['first_response', 'next_response', 'resolution'];

export interface MetricVerdicts {
  evaluated: number;
  /** Would miss the draft's target: answered after it, or still unanswered past it. */
  wouldBreach: number;
  actuallyBreached: number;
  /** Tickets whose outcome differs, at most 20 of each. */
  newlyBreached: string[];
  noLongerBreached: string[];
}

const LISTED = 20;

/**
 * What-if: replays every ticket opened in a past window that the draft matches, whether or not it
 * had a clock, so "what if we add this policy?" has an answer. A metric that had a clock keeps its
 * real start, reply or resolution time and pauses; one that had none is replayed from the ticket's
 * opening to its first public reply (or its solve, which meets a response clock too) and its
 * solve, without pauses. A next response without a clock is not replayed: no customer wait was
 * recorded. Only the target, the calendar and the match differ.
 */
@Injectable()
export class PolicySimulator {
  async simulate(manager: EntityManager, tenant: string, draft: SimulateDto) {
    const { policy } = draft;
    const calendar = policy.calendarId
      ? await manager.findOneBy(Calendar, { tenant, id: policy.calendarId })
      : null;
    if (policy.calendarId && !calendar)
      throw notFound('calendar_not_found', `No calendar ${policy.calendarId}`);
    const problems = unschedulableTargets(policy.targets, calendar, 'policy.');
    if (problems.length > 0)
      throw new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', problems);

    const window = [tenant, new Date(draft.from), new Date(draft.to)];
    const tickets = await manager.query<PastTicket[]>(
      `SELECT ticket_id, channel, priority, category, tags, metadata, opened_at, first_replied_at, solved_at
       FROM sla_tickets WHERE tenant = $1 AND opened_at >= $2 AND opened_at < $3`,
      window,
    );
    const clocks = await manager.query<PastClock[]>(
      `SELECT c.ticket_id, c.metric, c.state, c.started_at, c.met_at, c.paused_seconds
       FROM sla_clocks c JOIN sla_tickets t ON t.tenant = c.tenant AND t.ticket_id = c.ticket_id
       WHERE t.tenant = $1 AND t.opened_at >= $2 AND t.opened_at < $3`,
      window,
    );
    const clockOf = new Map(clocks.map((clock) => [`${clock.ticket_id}/${clock.metric}`, clock]));
    const now = Date.now();
    const verdicts = (): MetricVerdicts => ({
      evaluated: 0,
      wouldBreach: 0,
      actuallyBreached: 0,
      newlyBreached: [],
      noLongerBreached: [],
    });
    const metrics: Record<SlaMetric, MetricVerdicts> = {
      first_response: verdicts(),
      next_response: verdicts(),
      resolution: verdicts(),
    };
    const matched = new Set<string>();
    for (const ticket of tickets) {
      if (!ticketMatches(policy.match, ticket)) continue;
      for (const metric of METRICS) {
        const target = targetFor(policy.targets, metric, ticket.priority);
        const replay = target && replayOf(ticket, metric, clockOf.get(`${ticket.ticket_id}/${metric}`));
        if (!target || !replay) continue;
        matched.add(ticket.ticket_id);
        // Pauses are kept as the wall time they lasted: they moved the real due time the same way.
        const due =
          addBusinessTime(calendar ?? ALWAYS_OPEN, replay.startedAt, parseIsoDuration(target)).getTime() +
          replay.pausedSeconds * 1000;
        const outcome = replay.endedAt ? replay.endedAt.getTime() : now;
        const would = outcome > due;
        const did = replay.breached;
        const counts = metrics[metric];
        counts.evaluated += 1;
        if (would) counts.wouldBreach += 1;
        if (did) counts.actuallyBreached += 1;
        if (would && !did && counts.newlyBreached.length < LISTED)
          counts.newlyBreached.push(ticket.ticket_id);
        if (!would && did && counts.noLongerBreached.length < LISTED)
          counts.noLongerBreached.push(ticket.ticket_id);
      }
    }
    return { from: draft.from, to: draft.to, ticketsMatched: matched.size, metrics };
  }
}

/** How one metric of a ticket really went: from its clock, else from the ticket's own history. */
function replayOf(ticket: PastTicket, metric: SlaMetric, clock: PastClock | undefined): Replay | null {
  if (clock)
    return {
      startedAt: clock.started_at,
      endedAt: clock.met_at,
      pausedSeconds: clock.paused_seconds,
      breached: clock.state === 'breached',
    };
  if (metric === 'next_response') return null;
  const ended =
    metric === 'resolution'
      ? ticket.solved_at
      : ([ticket.first_replied_at, ticket.solved_at]
          .filter((at): at is Date => at !== null)
          .sort((a, b) => a.getTime() - b.getTime())[0] ?? null);
  return { startedAt: ticket.opened_at, endedAt: ended, pausedSeconds: 0, breached: false };
}
