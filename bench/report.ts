import type { LoadResult } from './wrk.js';

/** One line of the table: the medians over the rounds of one target. */
export interface Row {
  seeded: number;
  target: string;
  /** `bare`, or the broker configuration's name. */
  kind: string;
  credential: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  failures: number;
  /** Server CPU time per request (µs): robust to other load on the machine, unlike requests/s. */
  cpuPerRequest: number;
  /** The server's CPU time over the run's wall time (1.0: one core). */
  serverCores: number;
  /** wrk's own CPU time over the run's wall time. */
  generatorCores: number;
  /** Median over the rounds of broker/bare requests/s (1 for bare). */
  ratio: number;
  /** Median over the rounds of broker p99 / bare p99 (1 for bare). */
  p99Ratio: number;
}

export type Measurement = LoadResult & { cpuPerRequest: number; serverCores: number };

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The rounds' medians (max: the largest seen; failures: all of them). */
export const summarise = (ms: Measurement[]) => ({
  rps: median(ms.map((m) => m.rps)),
  p50: median(ms.map((m) => m.p50)),
  p99: median(ms.map((m) => m.p99)),
  max: Math.max(...ms.map((m) => m.max)),
  failures: ms.reduce((n, m) => n + m.failures, 0),
  cpuPerRequest: median(ms.map((m) => m.cpuPerRequest)),
  serverCores: median(ms.map((m) => m.serverCores)),
  generatorCores: median(ms.map((m) => m.generatorCores)),
});

const fmt = (n: number, digits = 1) => n.toFixed(digits);

export function printTable(rows: Row[]): void {
  const lines = [
    '| seeded | target | concurrent | requests/s | p50 ms | p99 ms | max ms | failed | ratio to bare | p99 / bare p99 | server CPU µs/request | server cores | wrk cores |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.seeded.toLocaleString('en-US')} | ${r.target} | ${r.connections} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max)} | ${r.failures} | ${fmt(r.ratio, 2)} | ${fmt(r.p99Ratio, 2)} | ${fmt(r.cpuPerRequest)} | ${fmt(r.serverCores, 2)} | ${fmt(r.generatorCores, 2)} |`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

/** Minimum throughput ratio to bare node:http at 64 connections, by broker configuration. */
export const RATIO_TARGETS: Record<string, number> = { default: 0.6, warn: 0.7 };

/** PASS/FAIL against issue 21's targets; true when all passed. */
export function verdict(rows: Row[], sizes: number[]): boolean {
  const at64 = rows.filter((r) => r.connections === 64);
  if (at64.length === 0) {
    process.stdout.write('SKIP  targets: no measurement at 64 connections\n');
    return true;
  }
  const brokers = at64.filter((r) => r.kind in RATIO_TARGETS);
  const checks: [string, boolean][] = [];
  for (const [kind, target] of Object.entries(RATIO_TARGETS)) {
    const of = brokers.filter((r) => r.kind === kind);
    checks.push([
      `throughput ≥ ${target} × bare at 64 connections, ${kind} configuration (${of.map((r) => `${r.credential} ${fmt(r.ratio, 2)}`).join(', ')})`,
      of.length > 0 && of.every((r) => r.ratio >= target),
    ]);
  }
  checks.push(
    [
      `broker p99 ≤ 2 × bare p99 at 64 connections (worst: ${fmt(Math.max(...brokers.map((r) => r.p99Ratio)), 2)} ×)`,
      brokers.every((r) => r.p99Ratio <= 2),
    ],
    ['no failed requests', rows.every((r) => r.failures === 0)],
    [
      `load generator below one core while the bare server is measured (wrk: up to ${fmt(Math.max(...at64.filter((r) => r.kind === 'bare').map((r) => r.generatorCores)), 2)} cores)`,
      at64.filter((r) => r.kind === 'bare').every((r) => r.generatorCores < 0.9),
    ],
  );
  if (sizes.length > 1) {
    const [small, big] = [sizes[0], sizes[1]];
    const pairs = brokers
      .filter((r) => r.seeded === small)
      .map((s) => ({
        s,
        b: brokers.find((x) => x.seeded === big && x.target === s.target),
      }));
    checks.push([
      '1M throughput ratio within 10 % of 1k (64 connections, every configuration and credential)',
      pairs.every(({ s, b }) => b !== undefined && Math.abs(b.ratio - s.ratio) <= 0.1 * s.ratio),
    ]);
    // One credential's CPU figure swings ±15 % between runs: the mean per configuration,
    // one-sided, since what must not happen is reads getting dearer as connections grow.
    for (const kind of Object.keys(RATIO_TARGETS)) {
      const mean = (size: number | undefined) => {
        const of = brokers.filter((r) => r.kind === kind && r.seeded === size);
        return of.reduce((n, r) => n + r.cpuPerRequest, 0) / Math.max(1, of.length);
      };
      checks.push([
        `1M server CPU per request at most 10 % above 1k, ${kind} (${fmt(mean(big))} vs ${fmt(mean(small))} µs)`,
        mean(big) <= 1.1 * mean(small),
      ]);
    }
  }
  for (const [what, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${what}\n`);
  return checks.every(([, ok]) => ok);
}
