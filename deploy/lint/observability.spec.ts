import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  asRecordingRules,
  checkObservability,
  exposedFamilies,
  familyOf,
  queriedMetrics,
  registeredMetrics,
} from './observability-metrics';

const ROOT = join(__dirname, '..', '..');
const CHECKER = join(__dirname, 'observability.sh');
// The first run on a machine fetches promtool from Debian's archive.
const FIRST_RUN_MS = 5 * 60_000;

describe('queriedMetrics', () => {
  it.each([
    ['a bare name', 'service_ready', ['service_ready']],
    ['a selector with matchers', 'outbox_backlog{service=~"$service",x!="a{b}"}', ['outbox_backlog']],
    [
      'functions, grouping and a histogram',
      'histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))',
      ['http_request_duration_seconds_bucket'],
    ],
    [
      'binary operators, offsets and numbers',
      'sum(rate(a_total[15m])) > 3 * sum(rate(a_total[3h] offset 15m)) and on (service) b > 1e3',
      ['a_total', 'b'],
    ],
    ['Grafana variables', 'rate(c_total{service=~"${service}"}[$__rate_interval])', ['c_total']],
    ['grouping after the aggregation', 'max(d) by (topic) unless ignoring(instance) e', ['d', 'e']],
    ['only literals', 'vector(1) + time()', []],
  ])('%s', (_case, expr, metrics) => {
    expect(queriedMetrics(expr).sort()).toEqual([...metrics].sort());
  });
});

describe('familyOf', () => {
  const families = new Map([
    ['events_consumed_total', 'counter'],
    ['routing_decision_seconds', 'histogram'],
    ['outbox_backlog', 'gauge'],
  ] as const);

  it('finds a series by its own name or as a part of a histogram', () => {
    expect(familyOf('events_consumed_total', families)).toBe('events_consumed_total');
    expect(familyOf('routing_decision_seconds_bucket', families)).toBe('routing_decision_seconds');
    expect(familyOf('routing_decision_seconds_count', families)).toBe('routing_decision_seconds');
    expect(familyOf('outbox_backlog_count', families)).toBeUndefined();
    expect(familyOf('events_consumed', families)).toBeUndefined();
  });

  it('reads the families of a scrape from its TYPE lines', () => {
    const exposition = [
      '# HELP outbox_backlog Outbox rows not yet published to Kafka',
      '# TYPE outbox_backlog gauge',
      'outbox_backlog{service="intake"} 0',
      '# TYPE routing_decision_seconds histogram',
    ].join('\n');
    expect(exposedFamilies(exposition)).toEqual(
      new Map([
        ['outbox_backlog', 'gauge'],
        ['routing_decision_seconds', 'histogram'],
      ]),
    );
  });
});

describe('registeredMetrics', () => {
  it('reads every kind of registration from the source, queue gauges included', () => {
    const registered = registeredMetrics(ROOT);
    expect(registered.get('events_consumed_total')).toBe('counter');
    expect(registered.get('sla_timer_lateness_seconds')).toBe('histogram');
    expect(registered.get('kafka_consumer_lag_messages')).toBe('gauge');
    expect(registered.get('service_ready')).toBe('gauge');
    expect(registered.get('notification_queue_depth')).toBe('gauge');
    expect(registered.get('routing_timer_queue_depth')).toBe('gauge');
  });
});

describe('asRecordingRules', () => {
  it("gives Grafana's variables values PromQL accepts", () => {
    const rules = asRecordingRules([
      { where: 'panel', expr: 'rate(a_total{service=~"$service"}[$__rate_interval])' },
    ]);
    expect(rules).toContain('record: dashboard_query_1');
    expect(rules).toContain('rate(a_total{service=~".*"}[5m])');
  });
});

const copies: string[] = [];

/** A copy of deploy/observability, to plant errors in. */
function copyOfObservability(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ticketflow-observability-'));
  copies.push(dir);
  cpSync(join(ROOT, 'deploy', 'observability'), dir, { recursive: true });
  return dir;
}

/** Replaces text that must be there, so a planted error can never silently miss. */
function plant(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
  writeFileSync(file, text.replace(from, to));
}

afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('checkObservability', () => {
  it("passes the repository's rules, rule tests and dashboard", async () => {
    const { problems, queries } = await checkObservability(join(ROOT, 'deploy', 'observability'), ROOT);
    expect(problems).toEqual([]);
    expect(queries).toBeGreaterThan(40);
  });

  it('names a metric nobody registers, in a rule, a panel and a rule test', async () => {
    const dir = copyOfObservability();
    plant(
      join(dir, 'prometheus', 'alerts.yml'),
      'max by (service) (outbox_backlog) > 0',
      'max by (service) (outbox_backlogg) > 0',
    );
    plant(
      join(dir, 'grafana', 'ticketflow.json'),
      'max by (service, topic) (kafka_consumer_lag_messages{',
      'max by (service, topic) (kafka_lag{',
    );
    plant(join(dir, 'prometheus', 'alerts.test.yml'), "series: 'service_ready{", "series: 'service_readyy{");
    const { problems } = await checkObservability(dir, ROOT);
    expect(problems).toEqual([
      'alerts.yml OutboxRelayStalled: outbox_backlogg is not a metric any service registers',
      'ticketflow.json panel "Consumer lag": kafka_lag is not a metric any service registers',
      expect.stringMatching(
        /^alerts\.test\.yml test \d+: service_readyy is not a metric any service registers$/,
      ),
    ]);
  });

  it('fails a dashboard that is not JSON, and a panel that ignores the service variable', async () => {
    const broken = copyOfObservability();
    plant(join(broken, 'grafana', 'ticketflow.json'), '"schemaVersion": 39,', '"schemaVersion": 39');
    expect((await checkObservability(broken, ROOT)).problems).toEqual([
      expect.stringMatching(/^ticketflow\.json is not JSON: /),
    ]);

    const unfiltered = copyOfObservability();
    plant(
      join(unfiltered, 'grafana', 'ticketflow.json'),
      'max by (service) (outbox_backlog{service=~\\"$service\\"})',
      'max by (service) (outbox_backlog)',
    );
    expect((await checkObservability(unfiltered, ROOT)).problems).toEqual([
      'ticketflow.json panel "Outbox backlog": max by (service) (outbox_backlog) does not select service=~"$service"',
    ]);
  });
});

interface Outcome {
  code: number;
  output: string;
}

function check(args: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [CHECKER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

describe('observability file checks (deploy/lint/observability.sh)', () => {
  it(
    "pass the repository's Prometheus configuration, rules, rule tests and dashboard",
    async () => {
      const { code, output } = await check();
      expect(output).toContain('ok: deploy/observability/prometheus/prometheus.yml');
      expect(output).toContain('ok: deploy/observability/prometheus/alerts.yml');
      expect(output).toContain('ok: deploy/observability/prometheus/alerts.test.yml');
      expect(output).toContain('ok: metrics queried in deploy/observability');
      expect(output).toContain('ok: PromQL of deploy/observability/grafana');
      expect(code).toBe(0);
    },
    FIRST_RUN_MS,
  );

  it(
    'fail an alert that no longer fires as its test expects, and a panel whose PromQL does not parse',
    async () => {
      const dir = copyOfObservability();
      plant(
        join(dir, 'prometheus', 'alerts.yml'),
        'changes(service_ready[15m]) > 3',
        'changes(service_ready[15m]) > 30',
      );
      plant(
        join(dir, 'grafana', 'ticketflow.json'),
        'max by (service) (outbox_backlog{',
        'max by (service) (outbox_backlog{{',
      );
      const { code, output } = await check(['--dir', dir]);
      expect(output).toContain(`ok: ${dir}/prometheus/alerts.yml`);
      expect(output).toContain(`FAILED: ${dir}/prometheus/alerts.test.yml`);
      expect(output).toContain('alertname: ServiceReadinessFlapping');
      expect(output).toContain(`FAILED: PromQL of ${dir}/grafana`);
      expect(output).toContain('observability files with problems');
      expect(code).toBe(1);
    },
    FIRST_RUN_MS,
  );
});
