import { Controller, Get, HttpStatus, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { DataSource } from 'typeorm';
import { ApiError, Roles, Tenant } from '@app/http';

const GROUPS = { team: 't.team_id::text', priority: 't.priority', channel: 't.channel' } as const;
type GroupBy = keyof typeof GROUPS;

export class SlaReportQuery {
  @ApiProperty({ example: '2026-11-01T00:00:00Z', description: 'Clocks started from (inclusive)' })
  @IsISO8601({ strict: true })
  from: string;

  @ApiProperty({ example: '2026-12-01T00:00:00Z', description: 'Clocks started before (exclusive)' })
  @IsISO8601({ strict: true })
  to: string;

  @ApiPropertyOptional({ enum: Object.keys(GROUPS), default: 'priority' })
  @IsOptional()
  @IsIn(Object.keys(GROUPS))
  groupBy?: GroupBy;
}

interface ReportRow {
  group: string | null;
  metric: string;
  clocks: number;
  met: number;
  breached: number;
  open: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

@ApiTags('reports')
@ApiBearerAuth()
@Controller('v1/reports')
export class SlaReportController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('sla')
  @Roles('agent')
  @ApiOperation({
    summary:
      'SLA compliance, breach counts and response/resolution percentiles per team, priority or channel',
    description:
      'Over the clocks started in [from, to). Compliance is met / (met + breached); open clocks are counted ' +
      'apart. Percentiles are elapsed (wall-clock) seconds from the clock’s start to the reply or resolution.',
  })
  async report(@Tenant() tenant: string, @Query() query: SlaReportQuery) {
    const from = new Date(query.from);
    const to = new Date(query.to);
    if (to <= from) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
        { field: 'to', message: 'to must be after from' },
      ]);
    }
    const groupBy = query.groupBy ?? 'priority';
    const rows = await this.dataSource.query<ReportRow[]>(
      `SELECT ${GROUPS[groupBy]} AS "group", c.metric,
              count(*)::int AS clocks,
              count(*) FILTER (WHERE c.state = 'met')::int AS met,
              count(*) FILTER (WHERE c.state = 'breached')::int AS breached,
              count(*) FILTER (WHERE c.state IN ('running', 'paused'))::int AS open,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM c.met_at - c.started_at)) AS p50,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM c.met_at - c.started_at)) AS p90,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM c.met_at - c.started_at)) AS p99
       FROM sla_clocks c
       JOIN sla_tickets t ON t.tenant = c.tenant AND t.ticket_id = c.ticket_id
       WHERE c.tenant = $1 AND c.started_at >= $2 AND c.started_at < $3
       GROUP BY 1, 2 ORDER BY 1 NULLS LAST, 2`,
      [tenant, from, to],
    );
    const groups = new Map<string, Record<string, unknown>>();
    for (const row of rows) {
      const key = row.group ?? (groupBy === 'team' ? 'unassigned' : 'unknown');
      const group = groups.get(key) ?? { [groupBy]: key, metrics: {} };
      const decided = row.met + row.breached;
      (group.metrics as Record<string, unknown>)[row.metric] = {
        clocks: row.clocks,
        met: row.met,
        breached: row.breached,
        open: row.open,
        compliancePct: decided === 0 ? null : Math.round((row.met / decided) * 10_000) / 100,
        seconds: { p50: round(row.p50), p90: round(row.p90), p99: round(row.p99) },
      };
      groups.set(key, group);
    }
    return { from: from.toISOString(), to: to.toISOString(), groupBy, groups: [...groups.values()] };
  }
}

const round = (value: number | null) => (value === null ? null : Math.round(Number(value) * 1000) / 1000);
