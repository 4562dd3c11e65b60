import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Child } from './processes.js';
import type { Measurement } from './report.js';

/** Debian's wrk (C, epoll): far cheaper per request than any Node load generator. */
const WRK = process.env.BENCH_WRK ?? '/usr/bin/wrk';
/** The Lua script rotating paths (bench/rotate.lua; not compiled, so found from the source tree). */
const SCRIPT = join(
  fileURLToPath(new URL('.', import.meta.url)),
  '..',
  '..',
  'bench',
  'rotate.lua',
);

/** What one wrk run measured, with the generator's own CPU use. */
export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Non-2xx/3xx answers, socket errors and timeouts. */
  failures: number;
  /** wrk's CPU time (user + system) over the run's wall time: 1.0 is one core. */
  generatorCores: number;
}

/** Writes the paths one a line for rotate.lua; returns the file's path. */
export async function pathsFile(dir: string, name: string, paths: string[]): Promise<string> {
  const file = join(dir, `${name}.paths`);
  await writeFile(file, `${paths.join('\n')}\n`);
  return file;
}

/**
 * Runs wrk in a process of its own against `url` for `seconds`, `connections` kept busy
 * by `threads` threads, each request one of the file's paths in turn with
 * `Authorization: Bearer <auth>`. wrk runs under `bash -c '…; times'` so its CPU time is
 * read from the shell's accounting of its finished child, not sampled.
 */
export async function wrk(options: {
  url: string;
  connections: number;
  threads: number;
  seconds: number;
  paths: string;
  auth?: string;
}): Promise<LoadResult> {
  const threads = Math.min(options.threads, options.connections);
  const args = [
    '-c',
    String(options.connections),
    '-t',
    String(threads),
    '-d',
    `${options.seconds}s`,
    '--timeout',
    '5s',
    '-s',
    SCRIPT,
    options.url,
    '--',
    options.paths,
    options.auth ?? '',
  ];
  const started = performance.now();
  const child = spawn('bash', ['-c', `"$0" "$@" && times`, WRK, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wall = (performance.now() - started) / 1000;
  const json = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (code !== 0 || json === undefined) throw new Error(`wrk failed (${code}): ${out}`);
  const r = JSON.parse(json) as Record<string, number>;
  // `times` prints the shell's own times, then its children's: "0m1.234s 0m0.567s".
  const childTimes = out.trim().split('\n').at(-1) ?? '';
  const seconds = [...childTimes.matchAll(/(\d+)m([\d.]+)s/g)].map(
    (m) => Number(m[1]) * 60 + Number(m[2]),
  );
  const duration = r.duration_us! / 1e6;
  return {
    requests: r.requests!,
    rps: r.requests! / duration,
    p50: r.p50_us! / 1000,
    p99: r.p99_us! / 1000,
    max: r.max_us! / 1000,
    failures: r.status! + r.connect! + r.read! + r.write! + r.timeout!,
    generatorCores: seconds.reduce((a, b) => a + b, 0) / wall,
  };
}

/**
 * One wrk run against `server` (its `url`), with the server's own CPU time over the run:
 * per request, and in cores (1.0: one core busy for the whole run).
 *
 * @example const m = await measure(broker, { connections: 16, threads: 1, seconds: 3, paths, auth });
 */
export async function measure(
  server: Child,
  options: Omit<Parameters<typeof wrk>[0], 'url'>,
): Promise<Measurement> {
  const before = await server.cpuMicros();
  const started = performance.now();
  const result = await wrk({ ...options, url: server.url });
  const cpu = (await server.cpuMicros()) - before;
  return {
    ...result,
    cpuPerRequest: cpu / Math.max(1, result.requests),
    serverCores: cpu / 1e3 / (performance.now() - started),
  };
}
