// How busy the machine was with work that is not this run's, in a short window before each
// scenario in which perfgate sends no load: the CPU time the whole machine spent (/proc/stat: user, nice, system, irq, softirq and steal over every CPU; steal
// is time the hypervisor gave to other guests) less what perfgate's own process tree spent
// (perfgate, its load processes, the service it started, that service's dependencies and the
// yardstick), as CPUs busy on average. A neighbour on a shared runner costs the service its turn
// on a CPU rather than CPU time of its own, so its latency and throughput move while nothing in the
// code did: history mode does not call a run measured on a busier machine a regression
// (analysis/baseline.ts). Linux only.
import { readFile } from 'node:fs/promises';
import type { MachineFigures } from '../contract/scenario-result.js';
import { cpuBetween, TICK_NS, treeCpu, type CpuReading } from './cpu-time.js';

interface MachineReading {
  /** Busy CPU time of the whole machine, ns (10 ms resolution). */
  busyNs: number;
  cpus: number;
  tree: CpuReading | null;
  atNs: bigint;
}

/**
 * The machine's busy time and CPU count from /proc/stat's text: the aggregate `cpu` line's user,
 * nice, system, irq, softirq and steal (guest time is inside user), and the number of `cpuN` lines.
 */
export function parseProcStat(text: string): { busyNs: number; cpus: number } | null {
  const lines = text.split('\n');
  const total = lines.find((l) => l.startsWith('cpu '));
  if (!total) return null;
  const f = total.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return null;
  const [user, nice, system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  const cpus = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
  return cpus ? { busyNs: (user + nice + system + irq + softirq + steal) * TICK_NS, cpus } : null;
}

/** CPUs the rest of the machine kept busy between two readings, on average (never below 0). */
export function othersBetween(before: MachineReading, after: MachineReading): MachineFigures | null {
  const wallNs = Number(after.atNs - before.atNs);
  if (wallNs <= 0 || !before.tree || !after.tree) return null;
  const others = after.busyNs - before.busyNs - cpuBetween(before.tree, after.tree);
  return { otherCpus: Math.round(Math.min(after.cpus, Math.max(0, others / wallNs)) * 1000) / 1000, cpus: after.cpus };
}

async function readMachine(root: number): Promise<MachineReading | null> {
  try {
    const [stat, tree] = await Promise.all([readFile('/proc/stat', 'utf8'), treeCpu(root)]);
    const p = parseProcStat(stat);
    return p ? { ...p, tree, atNs: process.hrtime.bigint() } : null;
  } catch {
    return null;
  }
}

/** How long the machine's other work is watched before each scenario, with no load sent. */
export const IDLE_WINDOW_MS = 500;

/**
 * The machine's other work while perfgate sends no load (before a scenario's warm-up): what is
 * busy then is not driven by this run's requests, so a database outside perfgate's tree that an
 * N+1 query keeps busy under load does not read as a neighbour. Null off Linux or when a reading fails.
 */
export async function idleMachineLoad(ms = IDLE_WINDOW_MS, root = process.pid): Promise<MachineFigures | null> {
  if (process.platform !== 'linux') return null;
  const before = await readMachine(root);
  await new Promise((r) => setTimeout(r, ms));
  const after = await readMachine(root);
  return before && after ? othersBetween(before, after) : null;
}
