import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A broker replica in a process of its own. */
export interface ChildBroker {
  process: ChildProcess;
  /** `http://127.0.0.1:<port>` from its "token broker listening" log line ('' without one). */
  url: string;
  /** Every line of its stdout so far. */
  output: string[];
  /** SIGTERM (graceful stop), then waits for the exit; nothing when it has exited already. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill9(): Promise<void>;
}

/** The listening port of a structured log line, if it is the broker's "listening" line. */
function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  const entry = JSON.parse(line) as { msg?: string; port?: number };
  return entry.msg === 'token broker listening' ? entry.port : undefined;
}

/**
 * Starts `script` (default `src/main.ts`) as a replica in a process of its own, with
 * `PORT=0`, `NODE_ENV=test` and `REFRESH_CRON=off` unless `env` says otherwise, and waits
 * until it logs that it is listening or prints `ready`. Node itself runs the script
 * (`--import tsx`): the tsx CLI would put a wrapper process in between, and a SIGKILL
 * would miss the broker.
 *
 * @example
 * const child = await startChildBroker({ DATABASE_URL: db.url, TOKEN_ENCRYPTION_KEYS: keys });
 * await child.kill9();
 */
export async function startChildBroker(
  /** Added to this process's environment; `undefined` leaves a variable out. */
  env: Record<string, string | undefined>,
  opts: { script?: string; timeoutMs?: number } = {},
): Promise<ChildBroker> {
  const child = spawn(process.execPath, ['--import', 'tsx', opts.script ?? 'src/main.ts'], {
    env: { ...process.env, PORT: '0', NODE_ENV: 'test', REFRESH_CRON: 'off', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const output: string[] = [];
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`child broker ${opts.script ?? 'src/main.ts'} did not start`));
    }, opts.timeoutMs ?? 25_000);
    child.once('exit', (code) => fail(new Error(`child broker exited (${code})`)));
    let port: number | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      port ??= listeningPort(line);
      // src/main.ts is ready once listening; test scripts print `ready` after their set-up.
      if (opts.script === undefined ? port !== undefined : line === 'ready') {
        clearTimeout(timer);
        ok(port === undefined ? '' : `http://127.0.0.1:${port}`);
      }
    });
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    await exited;
  };
  return {
    process: child,
    url,
    output,
    stop: () => signal('SIGTERM'),
    kill9: () => signal('SIGKILL'),
  };
}
