import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICK_MICROS = 10_000;

/** CPU time the whole machine and its Postgres processes have used so far, in µs. */
export interface MachineCpu {
  busyMicros: number;
  postgresMicros: number;
}

/**
 * Reads /proc: the machine's busy time (every core: user, nice, system, irq, softirq,
 * steal) and the CPU time of every live process named `postgres` (a backend that exits
 * between two readings takes its share with it, so Postgres figures are a floor).
 *
 * @example const before = await machineCpu(); … const used = cpuBetween(before, await machineCpu());
 */
export async function machineCpu(): Promise<MachineCpu> {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = (
    await readFile('/proc/stat', 'utf8')
  )
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  let postgresTicks = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat.includes('(postgres)')) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    postgresTicks += Number(fields[11]) + Number(fields[12]);
  }
  return {
    busyMicros: (user + nice + system + irq + softirq + steal) * TICK_MICROS,
    postgresMicros: postgresTicks * TICK_MICROS,
  };
}

/** What was used between two readings. */
export const cpuBetween = (before: MachineCpu, after: MachineCpu): MachineCpu => ({
  busyMicros: after.busyMicros - before.busyMicros,
  postgresMicros: after.postgresMicros - before.postgresMicros,
});
