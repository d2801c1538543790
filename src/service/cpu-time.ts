// The CPU time a service has used, for CPU time per request. Two ways, best first:
// - cgroup: the service runs in a cgroup of its own (service/cgroup.ts); its cpu.stat counts
//   every thread and process that ran in it, those that exited included (µs).
// - proc: the service's process tree in /proc. Per process, the live threads' run time from
//   /proc/PID/task/TID/schedstat (ns), and the process's whole count from /proc/PID/stat: utime
//   + stime (every thread it ever had, the exited ones included) + cutime + cstime (children it
//   reaped), in 10 ms ticks. Between two readings a process is charged its schedstat growth,
//   unless its stat count grew by more than that (threads or children that ended meanwhile took
//   their run time out of schedstat): then the stat growth, less what the reaped children had
//   already used before the first reading. Lost: a process that leaves the tree (a daemon that
//   re-parents itself to init) and what its children used.
// A service started through a container runtime (docker run …) runs in the runtime's processes,
// not perfgate's children: its CPU time is not measured, and the report says so.
import { readdir, readFile } from 'node:fs/promises';
import type { CpuTimeCounting } from '../contract/result.js';
import type { CpuGroup } from './cgroup.js';
import { treePidsAsync } from './tree.js';

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s. */
export const TICK_NS = 10_000_000;

export type CpuSource = 'cgroup' | 'schedstat' | 'stat';

interface ProcCpu {
  ppid: number;
  /** Live threads' run time (schedstat), ns; null where schedstat is missing. */
  sched: number | null;
  /** utime + stime + cutime + cstime, ns (10 ms resolution). */
  stat: number;
  /** The children's part of `stat` (cutime + cstime), ns. */
  children: number;
}

export interface CpuReading {
  /** The group's total, ns (cgroup readings). */
  ns?: number;
  source: CpuSource;
  /** Per process (proc readings). */
  byPid?: Map<number, ProcCpu>;
}

/** Where a service's CPU time is read from. */
export interface CpuTarget {
  pid: number;
  cgroup?: CpuGroup | null;
  /** Why CPU time is not measured for it (a container), or undefined. */
  cpuNotMeasured?: string;
}

/** A reading of the target now, or null off Linux, when it is gone, or when it is not measured. */
export async function readCpu(target: CpuTarget): Promise<CpuReading | null> {
  if (process.platform !== 'linux' || target.cpuNotMeasured) return null;
  if (target.cgroup) {
    const ns = await target.cgroup.usageNs();
    return ns === null ? null : { ns, source: 'cgroup' };
  }
  return treeCpu(target.pid);
}

/** The process tree's CPU figures now (zombies included: their count is final until reaped). */
export async function treeCpu(root: number): Promise<CpuReading | null> {
  if (process.platform !== 'linux') return null;
  const pids = await treePidsAsync(root, { zombies: true });
  if (!pids.length) return null;
  const byPid = new Map<number, ProcCpu>();
  await Promise.all(
    pids.map(async (pid) => {
      const stat = await statOf(pid);
      if (stat) byPid.set(pid, { ...stat, sched: await schedstatNs(pid) });
    }),
  );
  if (!byPid.size) return null;
  const source: CpuSource = [...byPid.values()].some((p) => p.sched === null) ? 'stat' : 'schedstat';
  return { source, byPid };
}

/** CPU time used between two readings of one target, in ns. */
export function cpuBetween(before: CpuReading, after: CpuReading): number {
  if (before.ns !== undefined && after.ns !== undefined) return Math.max(0, after.ns - before.ns);
  const b = before.byPid ?? new Map<number, ProcCpu>();
  const a = after.byPid ?? new Map<number, ProcCpu>();
  // What each surviving parent's children had used by the first reading, for those reaped since.
  const reapedBefore = new Map<number, number>();
  for (const [pid, p] of b) {
    if (a.has(pid)) continue;
    reapedBefore.set(p.ppid, (reapedBefore.get(p.ppid) ?? 0) + p.stat);
  }
  let ns = 0;
  for (const [pid, now] of a) {
    const was = b.get(pid);
    const stat = now.stat - (was?.stat ?? 0) - (now.children > (was?.children ?? 0) ? (reapedBefore.get(pid) ?? 0) : 0);
    if (now.sched === null || (was && was.sched === null)) {
      ns += Math.max(0, stat);
      continue;
    }
    const sched = now.sched - (was?.sched ?? 0);
    // Within two ticks the two agree up to stat's resolution: keep schedstat's nanoseconds.
    ns += Math.max(0, stat - sched > 2 * TICK_NS ? stat : sched);
  }
  return ns;
}

async function schedstatNs(pid: number): Promise<number | null> {
  try {
    const tids = await readdir(`/proc/${pid}/task`);
    if (!tids.length) return null;
    const parts = await Promise.all(
      tids.map((t) =>
        readFile(`/proc/${pid}/task/${t}/schedstat`, 'utf8').then(
          (s) => Number(s.split(' ')[0]),
          () => 0,
        ),
      ),
    );
    return parts.reduce((a, b) => a + b, 0);
  } catch {
    return null;
  }
}

async function statOf(pid: number): Promise<Omit<ProcCpu, 'sched'> | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // After the command name: state (0), ppid (1), … utime (11), stime (12), cutime (13), cstime (14).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const children = (Number(rest[13]) + Number(rest[14])) * TICK_NS;
    return { ppid: Number(rest[1]), stat: (Number(rest[11]) + Number(rest[12])) * TICK_NS + children, children };
  } catch {
    return null;
  }
}

/**
 * The service's CPU time over each measured trial: read at the trial boundaries (outside the
 * trial's window), one entry per kept trial, null where a reading failed.
 */
export class TrialCpu {
  readonly readings: ({ ns: number; source: CpuSource } | null)[] = [];
  private before: CpuReading | null = null;

  constructor(private readonly target: CpuTarget | undefined) {}

  get enabled(): boolean {
    return this.target !== undefined && !this.target.cpuNotMeasured && process.platform === 'linux';
  }

  readonly boundary = async (when: 'before' | 'after', kept: boolean): Promise<void> => {
    if (!this.enabled) return;
    if (when === 'before') {
      this.before = await readCpu(this.target!);
      return;
    }
    if (!kept) return;
    const after = await readCpu(this.target!);
    const before = this.before;
    this.readings.push(before && after ? { ns: cpuBetween(before, after), source: worse(before.source, after.source) } : null);
  };
}

/** The coarser of two readings' sources. */
function worse(a: CpuSource, b: CpuSource): CpuSource {
  return a === 'stat' || b === 'stat' ? 'stat' : a === 'cgroup' && b === 'cgroup' ? 'cgroup' : 'schedstat';
}

/** How a started service's CPU time is counted, for the report. */
export function cpuCounting(target: CpuTarget): CpuTimeCounting {
  if (target.cpuNotMeasured) return { counted: 'none', note: `not measured: ${target.cpuNotMeasured}` };
  if (process.platform !== 'linux') return { counted: 'none', note: 'not measured: CPU time is read from Linux /proc or a cgroup' };
  if (target.cgroup)
    return {
      counted: 'cgroup',
      note: "counted in the service's own cgroup (cpu.stat): every thread and process it ran, those that exited during a trial included",
    };
  return {
    counted: 'proc',
    note: "counted over the service's process tree in /proc (no cgroup could be made here): threads that exited and children that were reaped included; a process that leaves the tree (a daemon re-parented to init) is not",
  };
}

/**
 * Why a service's CPU time cannot be measured, or undefined: a container runtime starts the
 * service in processes that are not the command's children (the runtime's daemon), so neither
 * the tree nor perfgate's cgroup holds them, and pinning does not reach them.
 */
export function containerRuntime(command: string | undefined): string | undefined {
  if (!command) return undefined;
  const m =
    /(?:^|[;&|(]\s*|\bexec\s+|\bsudo\s+)(docker|podman|nerdctl)(?:\s+-\S+(?:\s+\S+)?)*?\s+(run|start|compose|container\s+run)\b/.exec(
      command,
    );
  const m2 = m ? null : /(?:^|[;&|(]\s*|\bexec\s+)(docker-compose)\s+up\b/.exec(command);
  const tool = m ? `${m[1]} ${m[2]}` : m2 ? 'docker-compose up' : undefined;
  return tool
    ? `the service runs in a container (${tool}): its processes belong to the container runtime, not to the command perfgate started, so its CPU time is not measured and pinning does not reach it`
    : undefined;
}
