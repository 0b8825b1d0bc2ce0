import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/**
 * What the alert rules and the Grafana dashboard of deploy/observability query, and whether each
 * metric exists: the static check `npm run lint` runs (deploy/lint/observability.sh), and the
 * helpers the end-to-end test uses to check the same names against what the services expose.
 *   node -r ts-node/register/transpile-only deploy/lint/observability-metrics.ts DIR [PROMQL_RULES_OUT]
 * prints every problem and exits 1 if there is one; PROMQL_RULES_OUT receives the dashboard's
 * queries as recording rules, so promtool can check their PromQL as it checks the alerts'.
 */

const ROOT = join(__dirname, '..', '..');

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
/** Metric families by name, as a `# TYPE name type` line of the exposition format names them. */
export type MetricFamilies = ReadonlyMap<string, FamilyType>;

/** An expression of the rules, the dashboard or the rule tests, and where it is, for messages. */
export interface Query {
  where: string;
  expr: string;
}

/** redis_exporter's, which the Redis alert and panel read: no service of ours exposes them. */
export const REDIS_EXPORTER_METRICS: MetricFamilies = new Map([
  ['redis_memory_used_bytes', 'gauge'],
  ['redis_memory_max_bytes', 'gauge'],
]);

/** Words of PromQL that look like metric names where they stand. */
const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/**
 * Metric names an expression selects. Lexical, which PromQL allows: once strings, label matchers,
 * ranges, grouping label lists and Grafana variables are gone, a name not followed by `(` and not
 * a keyword is a metric.
 */
export function queriedMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  for (const [, name, call] of bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (!call && !PROMQL_KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}

/** The family a selected series name belongs to: itself, or the histogram or summary it is a part of. */
export function familyOf(series: string, families: MetricFamilies): string | undefined {
  if (families.has(series)) return series;
  const [, base, suffix] = /^(.*)_(bucket|sum|count)$/.exec(series) ?? [];
  const type = base === undefined ? undefined : families.get(base);
  if (type === 'histogram' || (type === 'summary' && suffix !== 'bucket')) return base;
  return undefined;
}

/** The families of an exposition (a scrape of /metrics). */
export function exposedFamilies(exposition: string): MetricFamilies {
  return new Map(
    [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [name, type as FamilyType]),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ts$/.test(entry.name) && !/\.(int-)?spec\.ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/**
 * The metrics the services register, read from the source of every app and library: each
 * `metrics.counter|gauge|histogram('name'` and each queue's `reportDepth(metrics, 'name'`.
 */
export function registeredMetrics(root = ROOT): MetricFamilies {
  const families = new Map<string, FamilyType>();
  const sources = ['apps', 'libs'].flatMap((tier) =>
    readdirSync(join(root, tier), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) => sourceFiles(join(root, tier, entry.name, 'src'))),
  );
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const [, type, name] of text.matchAll(/\.(counter|gauge|histogram)\(\s*'([a-zA-Z_:][\w:]*)'/g)) {
      families.set(name, type as FamilyType);
    }
    for (const [, name] of text.matchAll(/\.reportDepth\(\s*[\w.]+,\s*'([a-zA-Z_:][\w:]*)'/g)) {
      families.set(name, 'gauge');
    }
  }
  return families;
}

/** prom-client's default metrics (process, heap, event loop, GC), which every service collects. */
export async function defaultMetrics(): Promise<MetricFamilies> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = await registry.getMetricsAsJSON();
  registry.clear();
  return new Map(metrics.map((metric) => [metric.name, String(metric.type) as FamilyType]));
}

interface RuleFile {
  groups?: Array<{ name?: string; rules?: Array<{ alert?: string; record?: string; expr?: unknown }> }>;
}

interface RuleTests {
  tests?: Array<{ input_series?: Array<{ series?: string }> }>;
}

interface DashboardPanel {
  title?: string;
  targets?: Array<{ expr?: unknown }>;
  panels?: DashboardPanel[];
}

interface Dashboard {
  schemaVersion?: unknown;
  panels?: DashboardPanel[];
  templating?: { list?: Array<{ name?: string; type?: string; query?: unknown; definition?: unknown }> };
}

export interface ObservabilityFiles {
  /** Problems with the files themselves: unparsable, or a dashboard missing what it must have. */
  problems: string[];
  alerts: Query[];
  dashboard: Query[];
  /** The series names the rule tests feed in, each as a one-name query. */
  ruleTestSeries: Query[];
}

function readYaml<T>(file: string, problems: string[]): T | undefined {
  try {
    return parseYaml(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    problems.push(`${file} does not parse: ${(error as Error).message}`);
    return undefined;
  }
}

function dashboardQueries(file: string, problems: string[]): Query[] {
  const name = basename(file);
  let dashboard: Dashboard;
  try {
    dashboard = JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
  } catch (error) {
    problems.push(`${name} is not JSON: ${(error as Error).message}`);
    return [];
  }
  if (typeof dashboard.schemaVersion !== 'number') problems.push(`${name} has no schemaVersion`);
  const variables = dashboard.templating?.list ?? [];
  if (!variables.some((variable) => variable.name === 'service')) {
    problems.push(`${name} has no \`service\` template variable`);
  }
  const queries: Query[] = [];
  for (const variable of variables.filter((v) => v.type === 'query')) {
    const text = typeof variable.query === 'string' ? variable.query : variable.definition;
    // label_values(selector, label): only the selector queries a metric.
    const selector =
      typeof text === 'string' ? /^label_values\((.*),\s*\w+\)$/.exec(text.trim())?.[1] : undefined;
    if (selector === undefined)
      problems.push(`${name} variable ${variable.name}: not a label_values(metric, label)`);
    else queries.push({ where: `${name} variable ${variable.name}`, expr: selector });
  }
  const panels = (dashboard.panels ?? []).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  if (panels.every((panel) => (panel.targets ?? []).length === 0)) problems.push(`${name} has no queries`);
  for (const panel of panels) {
    for (const target of panel.targets ?? []) {
      const where = `${name} panel "${panel.title ?? '(untitled)'}"`;
      if (typeof target.expr !== 'string' || target.expr.trim() === '') {
        problems.push(`${where} has a target without an expression`);
        continue;
      }
      const ours = queriedMetrics(target.expr).some((metric) => !REDIS_EXPORTER_METRICS.has(metric));
      // The dashboard is per service: a panel that ignored the variable would show every service.
      if (ours && !target.expr.includes('service=~"$service"')) {
        problems.push(`${where}: ${target.expr} does not select service=~"$service"`);
      }
      queries.push({ where, expr: target.expr });
    }
  }
  return queries;
}

/** Reads DIR laid out as deploy/observability: prometheus/alerts.yml, prometheus/alerts.test.yml, grafana/*.json. */
export function readObservabilityFiles(dir: string): ObservabilityFiles {
  const problems: string[] = [];
  const rules = readYaml<RuleFile>(join(dir, 'prometheus', 'alerts.yml'), problems);
  const alerts = (rules?.groups ?? []).flatMap((group) =>
    (group.rules ?? []).map((rule) => ({
      where: `alerts.yml ${rule.alert ?? rule.record ?? `group ${group.name}`}`,
      expr: String(rule.expr),
    })),
  );
  const tests = readYaml<RuleTests>(join(dir, 'prometheus', 'alerts.test.yml'), problems);
  const ruleTestSeries = (tests?.tests ?? []).flatMap((test, index) =>
    (test.input_series ?? []).map(({ series }) => ({
      where: `alerts.test.yml test ${index + 1}`,
      expr: String(series).split('{')[0],
    })),
  );
  const grafana = join(dir, 'grafana');
  const dashboard = readdirSync(grafana)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => dashboardQueries(join(grafana, file), problems));
  return { problems, alerts, dashboard, ruleTestSeries };
}

/** One line per metric a query selects that is none of `families`, saying where. */
export function unknownMetrics(queries: readonly Query[], families: MetricFamilies): string[] {
  return queries.flatMap(({ where, expr }) =>
    queriedMetrics(expr)
      .filter((metric) => familyOf(metric, families) === undefined)
      .map((metric) => `${where}: ${metric} is not a metric any service registers`),
  );
}

/** The dashboard's queries as recording rules, Grafana's variables given plain values, for promtool. */
export function asRecordingRules(queries: readonly Query[]): string {
  const rules = queries.map(({ expr }, index) => ({
    record: `dashboard_query_${index + 1}`,
    expr: expr
      .replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}/g, '5m')
      .replace(/\$\{?service\}?/g, '.*'),
  }));
  return stringifyYaml({ groups: [{ name: 'dashboard', rules }] });
}

/** Everything a query may select: what the services register, prom-client's defaults and redis_exporter's. */
export async function knownMetrics(root = ROOT): Promise<MetricFamilies> {
  return new Map([...(await defaultMetrics()), ...registeredMetrics(root), ...REDIS_EXPORTER_METRICS]);
}

export async function checkObservability(
  dir: string,
  root = ROOT,
): Promise<{ problems: string[]; queries: number }> {
  const files = readObservabilityFiles(dir);
  const known = await knownMetrics(root);
  const queries = [...files.alerts, ...files.dashboard, ...files.ruleTestSeries];
  return { problems: [...files.problems, ...unknownMetrics(queries, known)], queries: queries.length };
}

async function main([dir, rulesOut]: string[]): Promise<number> {
  if (!dir) {
    console.error('usage: observability-metrics.ts DIR [PROMQL_RULES_OUT]');
    return 2;
  }
  const { problems, queries } = await checkObservability(dir);
  if (rulesOut) writeFileSync(rulesOut, asRecordingRules(readObservabilityFiles(dir).dashboard));
  for (const problem of problems) console.log(problem);
  if (problems.length === 0) console.log(`${queries} queries, every metric registered`);
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
