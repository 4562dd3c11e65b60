import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server running in a child process of its own, so the load generator never shares its CPU time. */
export interface Child {
  url: string;
  /** CPU time (user + system) the process has used so far, in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

const cpuOf = (child: ChildProcess) => async () => {
  const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1e6;
};

const stopper = (child: ChildProcess) => async () => {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
};

/** A bare `node:http` server printing its port (bench/baseline-server.ts, bench/passthrough-server.ts). */
export async function startBaseline(script: string, args: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return {
    url: `http://127.0.0.1:${chunk.toString().trim()}`,
    cpuMicros: cpuOf(child),
    stop: stopper(child),
  };
}

/** A broker child, with what it wrote to its log (counted by a `wc` reading its stdout). */
export interface BrokerChild extends Child {
  /** Lines and bytes the broker logged; resolves once it has stopped. */
  logged(): Promise<{ lines: number; bytes: number }>;
}

/**
 * The broker (`dist/src/main.js`) with `env`, once `/healthz` answers. Its stdout is a
 * pipe read by `wc -lc` in a process of its own, as a log collector would read it: the
 * bench neither prints nor parses the lines.
 */
export async function startBroker(
  main: string,
  port: number,
  env: Record<string, string>,
): Promise<BrokerChild> {
  // BENCH_BROKER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to profile the broker.
  const args = process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const sink = spawn('wc', ['-lc'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let counted = '';
  sink.stdout.on('data', (d: Buffer) => (counted += d.toString()));
  const child = spawn(process.execPath, [...args, main], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', sink.stdin, 'inherit'],
  });
  const stop = async () => {
    await stopper(child)();
    sink.stdin.end();
  };
  const logged = async () => {
    if (sink.exitCode === null) await once(sink, 'exit');
    const [lines = 0, bytes = 0] = counted.trim().split(/\s+/).map(Number);
    return { lines, bytes };
  };
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) {
        return { url, cpuMicros: cpuOf(child), stop, logged };
      }
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await stop();
  throw new Error('broker did not start within 30 s');
}
