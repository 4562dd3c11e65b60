// One broker replica for bench:refresh, in a process of its own (started with an IPC
// channel by bench/refresh.ts): the broker as users run it, with REFRESH_CRON off so that
// sweeps run only when the bench asks. Message `sweep` → one sweep over everything due,
// answered with its report, the CPU time it took and the process's peak RSS; `stop` →
// graceful stop (a `--cpu-prof` profile is written on exit).
import { startBroker } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/observability/logger.js';
import { defaultSweepOptions } from '../src/refresh/job.js';
import { exec } from '../src/refresh/sweep.js';

/** Long enough for any sweep of the bench: one sweep drains the backlog. */
const BUDGET_MS = 600_000;

const config = loadConfig(process.env);
const broker = await startBroker(config, createLogger({ level: config.logLevel }));
const owner = `bench-replica-${process.pid}`;

process.on('message', (message: string) => {
  if (message === 'stop') {
    void broker.stop().then(() => process.exit(0));
    return;
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  void exec(broker.container, {
    ...defaultSweepOptions(config, owner),
    budgetMs: BUDGET_MS,
  }).then((report) => {
    const used = process.cpuUsage(cpu);
    process.send!({
      report,
      seconds: (performance.now() - started) / 1000,
      cpuMicros: used.user + used.system,
      peakRssKb: process.resourceUsage().maxRSS,
    });
  });
});
process.send!('ready');
