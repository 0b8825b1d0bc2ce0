import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsIn, IsOptional } from 'class-validator';
import { DataSource } from 'typeorm';
import {
  bucketSql,
  REPORT_INTERVALS,
  type ReportInterval,
  reportBuckets,
  reportWindow,
  type ReportWindow,
  ReportWindowQuery,
  Roles,
  Tenant,
} from '@app/http';

const GROUPS = { team: 't.team_id::text', priority: 't.priority', channel: 't.channel' } as const;
type GroupBy = keyof typeof GROUPS;

export class SlaReportQuery extends ReportWindowQuery {
  @ApiPropertyOptional({ enum: Object.keys(GROUPS), default: 'priority' })
  @IsOptional()
  @IsIn(Object.keys(GROUPS))
  groupBy?: GroupBy;

  @ApiPropertyOptional({
    enum: REPORT_INTERVALS,
    description: 'Adds `series`: compliance and breaches per interval (UTC), by when the clocks started',
  })
  @IsOptional()
  @IsIn(REPORT_INTERVALS)
  interval?: ReportInterval;
}

/** Clocks by outcome, as both the groups and the series count them. */
interface Outcomes {
  clocks: number;
  met: number;
  breached: number;
  open: number;
}

interface SeriesRow extends Outcomes {
  bucket: Date;
  metric: string;
}

interface ReportRow extends Outcomes {
  group: string | null;
  metric: string;
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
    const window = reportWindow(query);
    const { from, to } = window;
    // Checked before any query: a window of too many buckets is a 400, not a slow answer.
    const plan = query.interval && {
      interval: query.interval,
      buckets: reportBuckets(window, query.interval),
    };
    const groupBy = query.groupBy ?? 'priority';
    const rows = await this.dataSource.query<ReportRow[]>(
      `SELECT ${GROUPS[groupBy]} AS "group", c.metric,
              ${OUTCOMES_SQL},
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
      (group.metrics as Record<string, unknown>)[row.metric] = {
        ...outcomes(row),
        seconds: { p50: round(row.p50), p90: round(row.p90), p99: round(row.p99) },
      };
      groups.set(key, group);
    }
    const report = { from: from.toISOString(), to: to.toISOString(), groupBy, groups: [...groups.values()] };
    if (!plan) return report;
    return { ...report, interval: plan.interval, series: await this.series(tenant, window, plan) };
  }

  /** One point per bucket, empty ones included, with every metric the window has. */
  private async series(
    tenant: string,
    window: ReportWindow,
    { interval, buckets }: { interval: ReportInterval; buckets: Date[] },
  ) {
    const rows = await this.dataSource.query<SeriesRow[]>(
      `SELECT ${bucketSql('c.started_at', interval)} AS bucket, c.metric, ${OUTCOMES_SQL}
       FROM sla_clocks c
       WHERE c.tenant = $1 AND c.started_at >= $2 AND c.started_at < $3
       GROUP BY 1, 2`,
      [tenant, window.from, window.to],
    );
    const metrics = [...new Set(rows.map((row) => row.metric))].sort();
    const byBucket = new Map(rows.map((row) => [`${row.bucket.toISOString()} ${row.metric}`, row]));
    const none: Outcomes = { clocks: 0, met: 0, breached: 0, open: 0 };
    return buckets.map((start) => ({
      start: start.toISOString(),
      metrics: Object.fromEntries(
        metrics.map((metric) => [metric, outcomes(byBucket.get(`${start.toISOString()} ${metric}`) ?? none)]),
      ),
    }));
  }
}

const OUTCOMES_SQL = `count(*)::int AS clocks,
              count(*) FILTER (WHERE c.state = 'met')::int AS met,
              count(*) FILTER (WHERE c.state = 'breached')::int AS breached,
              count(*) FILTER (WHERE c.state IN ('running', 'paused'))::int AS open`;

/** Compliance is met / (met + breached); clocks still open count for neither. */
function outcomes({ clocks, met, breached, open }: Outcomes) {
  const decided = met + breached;
  return {
    clocks,
    met,
    breached,
    open,
    compliancePct: decided === 0 ? null : Math.round((met / decided) * 10_000) / 100,
  };
}

const round = (value: number | null) => (value === null ? null : Math.round(Number(value) * 1000) / 1000);
