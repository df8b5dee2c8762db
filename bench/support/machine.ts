import { readFileSync } from 'node:fs';

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
