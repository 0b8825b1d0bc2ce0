import { type RunResults } from './checks';
import { type Cluster } from './cluster';
import { type FaultLog } from './faults';
import { type ChaosHttp } from './http-client';
import { type Load } from './load';

/** Prints the run's one table and its JSON line; returns the number of violations. */
export function report({
  seed,
  loadStartedAt,
  results,
  faults,
  http,
  load,
  cluster,
  say,
}: {
  seed: number;
  /** When the load began: fault times are printed from it. */
  loadStartedAt: number;
  results: RunResults;
  faults: FaultLog[];
  http: ChaosHttp['met'];
  load: Load;
  cluster: Cluster;
  say: (line: string) => void;
}): number {
  const injected: Record<string, number> = {};
  const failedFaults: string[] = [];
  for (const entry of faults) {
    injected[entry.fault.kind] = (injected[entry.fault.kind] ?? 0) + 1;
    if (entry.error) failedFaults.push(`${entry.fault.kind}: ${entry.error.slice(0, 300)}`);
  }
  const rows = results.checks.map((check) => [
    check.name,
    String(check.checked),
    String(check.lost),
    String(check.duplicated),
    String(check.early),
    String(check.missed),
  ]);
  const header = ['check', 'checked', 'lost', 'duplicated', 'early', 'missed'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  say('');
  say(
    `seed ${seed}: ${Object.entries(results.counts)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ')}`,
  );
  say(
    `faults: ${
      Object.entries(injected)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ') || 'none'
    }`,
  );
  say(
    `requests: ${http.retried} retried through faults, ${http.unknown} with a lost answer, ${http.refused} refused`,
  );
  say(`surveys: ${load.surveys.received} mailed, ${load.surveys.answered} answered`);
  say(line(header));
  for (const row of rows) say(line(row));
  for (const check of results.checks) {
    if (check.notes)
      say(
        `${check.name}: ${Object.entries(check.notes)
          .map(([name, value]) => `${name} ${value}`)
          .join(', ')}`,
      );
    for (const example of check.examples) say(`  ${example}`);
  }
  for (const entry of faults) {
    const at = ((entry.startedAt - loadStartedAt) / 1000).toFixed(1);
    const back = entry.backAt ?? entry.endedAt;
    const took = back === undefined ? '?' : ((back - entry.startedAt) / 1000).toFixed(1);
    const ready =
      entry.readyAfterMs === undefined
        ? ''
        : `, every replica ready ${(entry.readyAfterMs / 1000).toFixed(1)} s later`;
    say(
      `  +${at} s (${new Date(entry.startedAt).toISOString()}) ${entry.fault.kind}${entry.fault.target ? ` ${entry.fault.target}` : ''}, back after ${took} s${ready}`,
    );
  }
  for (const failure of failedFaults) say(`fault did not complete: ${failure}`);
  const violations =
    results.checks.reduce(
      (sum, check) => sum + check.lost + check.duplicated + check.early + check.missed,
      0,
    ) + failedFaults.length;
  say(violations === 0 ? 'no violations' : `${violations} violations`);
  const totals = (kind: 'lost' | 'duplicated' | 'early' | 'missed') =>
    results.checks.reduce((sum, check) => sum + check[kind], 0);
  process.stdout.write(
    `${JSON.stringify({
      seed,
      ...results.counts,
      faults: injected,
      readyAfterRestartS: Object.fromEntries(
        faults
          .filter((entry) => entry.readyAfterMs !== undefined)
          .map((entry) => [entry.fault.kind, Number(((entry.readyAfterMs ?? 0) / 1000).toFixed(1))]),
      ),
      lost: totals('lost'),
      duplicated: totals('duplicated'),
      early: totals('early'),
      missed: totals('missed'),
      checks: Object.fromEntries(
        results.checks.map((check) => [check.name, { ...check, examples: undefined }]),
      ),
      replicas: cluster.all().map((replica) => ({ name: replica.name, selfExits: replica.selfExits })),
      violations,
    })}\n`,
  );
  return violations;
}
