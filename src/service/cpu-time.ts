// The CPU time a service's whole process tree has used, for CPU time per request. Every thread's
// run time from /proc/PID/task/TID/schedstat (nanoseconds); where schedstat is missing, utime +
// stime from /proc/PID/stat (clock ticks, 10 ms). Processes that exit between two readings take
// their time with them (their parent is charged only once it reaps them): a service that forks
// a process per request is undercounted, which the report cannot see, so it is said in the docs.
import { readdir, readFile } from 'node:fs/promises';
import { treePidsAsync } from './tree.js';

/** Linux's USER_HZ: /proc/PID/stat counts CPU time in 1/100 s. */
const TICK_NS = 10_000_000;

export interface CpuReading {
  /** Nanoseconds of CPU time over the tree. */
  ns: number;
  /** The resolution it was read at. */
  source: 'schedstat' | 'stat';
  /** Per process (pid → ns), so that two readings compare only what both saw. */
  byPid: Map<number, number>;
}

/** The tree's CPU time now, or null off Linux or when the root is gone. */
export async function treeCpu(root: number): Promise<CpuReading | null> {
  if (process.platform !== 'linux') return null;
  const pids = await treePidsAsync(root);
  if (!pids.length) return null;
  const byPid = new Map<number, number>();
  let source: CpuReading['source'] = 'schedstat';
  await Promise.all(
    pids.map(async (pid) => {
      const sched = await schedstatNs(pid);
      if (sched !== null) return void byPid.set(pid, sched);
      const stat = await statNs(pid);
      if (stat !== null) {
        source = 'stat';
        byPid.set(pid, stat);
      }
    }),
  );
  let ns = 0;
  for (const v of byPid.values()) ns += v;
  return { ns, source, byPid };
}

/** CPU time used between two readings of one tree: processes seen in both, plus those new in the second. */
export function cpuBetween(before: CpuReading, after: CpuReading): number {
  let ns = 0;
  for (const [pid, v] of after.byPid) ns += Math.max(0, v - (before.byPid.get(pid) ?? 0));
  return ns;
}

async function schedstatNs(pid: number): Promise<number | null> {
  try {
    const tids = await readdir(`/proc/${pid}/task`);
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

async function statNs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the state field.
    return (Number(rest[11]) + Number(rest[12])) * TICK_NS;
  } catch {
    return null;
  }
}

/**
 * The service's CPU time over each measured trial: read at the trial boundaries (outside the
 * trial's window), one entry per kept trial, null where a reading failed.
 */
export class TrialCpu {
  readonly readings: ({ ns: number; source: CpuReading['source'] } | null)[] = [];
  private before: CpuReading | null = null;

  constructor(private readonly root: number | undefined) {}

  get enabled(): boolean {
    return this.root !== undefined && process.platform === 'linux';
  }

  readonly boundary = async (when: 'before' | 'after', kept: boolean): Promise<void> => {
    if (!this.enabled) return;
    if (when === 'before') {
      this.before = await treeCpu(this.root!);
      return;
    }
    if (!kept) return;
    const after = await treeCpu(this.root!);
    const before = this.before;
    this.readings.push(
      before && after
        ? { ns: cpuBetween(before, after), source: after.source === 'stat' || before.source === 'stat' ? 'stat' : 'schedstat' }
        : null,
    );
  };
}
