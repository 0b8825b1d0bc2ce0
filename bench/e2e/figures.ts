import { type PhaseRange, type Stage, type StageBook } from './stage-book';

export interface StageFigures {
  done: number;
  /** From the phase's first publish to the last ticket reaching the stage. */
  allDoneSeconds: number | null;
  /** done / allDoneSeconds: the offered rate while the system keeps up, its capacity once it does not. */
  perSecond: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
}

export const round1 = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10);
export const round2 = (n: number | null): number | null => (n === null ? null : Math.round(n * 100) / 100);

export function stageFigures(book: StageBook, range: PhaseRange, stage: Stage): StageFigures {
  const { sorted, lastAt, firstPublished } = book.latencies(range, stage);
  const done = sorted.length;
  const allDoneSeconds = done > 0 ? Math.max(0.001, (lastAt - firstPublished) / 1000) : null;
  return {
    done,
    allDoneSeconds: round2(allDoneSeconds),
    perSecond: allDoneSeconds === null ? null : round1(done / allDoneSeconds),
    p50Ms: round1(percentile(sorted, 50)),
    p95Ms: round1(percentile(sorted, 95)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.length > 0 ? (sorted[sorted.length - 1] ?? null) : null),
  };
}

/** Right-aligned columns under a header, for the terminal. */
export function table(header: string[], rows: Array<Array<string | number | null>>): string {
  const cells = [header, ...rows.map((row) => row.map((cell) => (cell === null ? '-' : String(cell))))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  '),
    )
    .join('\n');
}
