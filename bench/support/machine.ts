import { readdirSync, readFileSync } from 'node:fs';

/** The machine-wide CPU counters of /proc/stat (Linux), in clock ticks; null elsewhere. */
function cpuTicks(): { busy: number; steal: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
    return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return null;
  }
}

/**
 * How loaded the machine was while a benchmark ran: every process's CPU, and the share the
 * hypervisor gave to other guests (steal). On a shared virtual machine the same code measures up
 * to half slower from one minute to the next; this line says which kind of minute it was.
 */
export function machineLoad(): () => string | null {
  const a = cpuTicks();
  return () => {
    const b = cpuTicks();
    if (!a || !b || b.total <= a.total) return null;
    const pct = (x: number) => `${Math.round((x / (b.total - a.total)) * 100)} %`;
    return `machine during this run: CPU busy ${pct(b.busy - a.busy)}, stolen by the host ${pct(b.steal - a.steal)}`;
  };
}

/**
 * CPU seconds spent so far by the benchmarked gateway (node running gateway/dist/main.js) and by
 * PostgreSQL (every postgres process, with the children it reaped), from /proc (Linux); null elsewhere.
 * CPU per unit of work is steadier than a rate on a shared two-core box: the load generator, the
 * gateway and the database take turns on the same cores, and other guests take their share.
 */
export function processCpu(): { gateway: number; postgres: number } | null {
  let gateway = 0;
  let postgres = 0;
  let dirs: string[];
  try {
    dirs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const d of dirs) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the command: utime, stime, cutime, cstime are the 12th–15th (clock ticks).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      if (comm === 'postgres') postgres += f[11]! + f[12]! + f[13]! + f[14]!;
      else if (comm === 'node' && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('gateway/dist/main.js')) gateway += f[11]! + f[12]!;
    } catch {
      // The process ended while being read.
    }
  }
  return { gateway: gateway / TICKS_PER_SECOND, postgres: postgres / TICKS_PER_SECOND };
}

/** Linux's USER_HZ: /proc counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;
