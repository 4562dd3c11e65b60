import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server running in a child process of its own, so the load generator never shares its CPU time. */
export interface Child {
  url: string;
  stop(): Promise<void>;
}

const stopper = (child: ChildProcess) => async () => {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
};

/** The bare `node:http` baseline (bench/baseline-server.ts). */
export async function startBaseline(script: string): Promise<Child> {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, stop: stopper(child) };
}

/** The broker (`dist/src/main.js`) with `env`, once `/healthz` answers. */
export async function startBroker(
  main: string,
  port: number,
  env: Record<string, string>,
): Promise<Child> {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`broker exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, stop: stopper(child) };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await stopper(child)();
  throw new Error('broker did not start within 30 s');
}
