import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsISO8601, ValidateNested } from 'class-validator';
import { type EntityManager } from 'typeorm';
import {
  parseIsoDuration,
  type Priority,
  type SlaMetric,
  type TicketMetadata,
  ticketMatches,
} from '@app/contracts';
import { addBusinessTime, ALWAYS_OPEN } from '../calendars/business-time';
import { Calendar } from '../calendars/calendar.entity';
import { SlaPolicyDto } from './dto/sla-policy.dto';
import { targetFor } from './sla-policy.entity';

export class SimulateDto {
  @ApiProperty({ type: SlaPolicyDto, description: 'The draft: nothing is saved' })
  @ValidateNested()
  @Type(() => SlaPolicyDto)
  policy: SlaPolicyDto;

  @ApiProperty({ example: '2026-11-01T00:00:00Z' }) @IsISO8601({ strict: true }) from: string;
  @ApiProperty({ example: '2026-12-01T00:00:00Z' }) @IsISO8601({ strict: true }) to: string;
}

interface PastClock {
  ticket_id: string;
  metric: SlaMetric;
  state: string;
  started_at: Date;
  met_at: Date | null;
  paused_seconds: number;
  channel: string;
  priority: Priority;
  category: string | null;
  tags: string[];
  metadata: TicketMetadata;
}

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
 * What-if: replays the tickets of a past window against a draft policy. Each ticket's real start,
 * reply or resolution time and pauses are kept; only the target, the calendar and the match differ.
 */
@Injectable()
export class PolicySimulator {
  async simulate(manager: EntityManager, tenant: string, draft: SimulateDto) {
    const { policy } = draft;
    const calendar = policy.calendarId
      ? await manager.findOneBy(Calendar, { tenant, id: policy.calendarId })
      : null;
    const clocks = await manager.query<PastClock[]>(
      `SELECT c.ticket_id, c.metric, c.state, c.started_at, c.met_at, c.paused_seconds,
              t.channel, t.priority, t.category, t.tags, t.metadata
       FROM sla_clocks c JOIN sla_tickets t ON t.tenant = c.tenant AND t.ticket_id = c.ticket_id
       WHERE c.tenant = $1 AND c.started_at >= $2 AND c.started_at < $3`,
      [tenant, new Date(draft.from), new Date(draft.to)],
    );
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
    const tickets = new Set<string>();
    for (const clock of clocks) {
      if (!ticketMatches(policy.match, clock)) continue;
      const target = targetFor(policy.targets, clock.metric, clock.priority);
      if (!target) continue;
      tickets.add(clock.ticket_id);
      // Pauses are kept as the wall time they lasted: they moved the real due time the same way.
      const due =
        addBusinessTime(calendar ?? ALWAYS_OPEN, clock.started_at, parseIsoDuration(target)).getTime() +
        clock.paused_seconds * 1000;
      const outcome = clock.met_at ? clock.met_at.getTime() : now;
      const would = outcome > due;
      const did = clock.state === 'breached';
      const counts = metrics[clock.metric];
      counts.evaluated += 1;
      if (would) counts.wouldBreach += 1;
      if (did) counts.actuallyBreached += 1;
      if (would && !did && counts.newlyBreached.length < LISTED) counts.newlyBreached.push(clock.ticket_id);
      if (!would && did && counts.noLongerBreached.length < LISTED)
        counts.noLongerBreached.push(clock.ticket_id);
    }
    return { from: draft.from, to: draft.to, ticketsMatched: tickets.size, metrics };
  }
}
