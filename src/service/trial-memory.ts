// How much a service's resident memory grew over each trial: the whole process tree's RSS
// (VmRSS of every process, summed) read at the trial's boundaries, as its CPU time is. Per
// response, it is what a leak costs each request; a service that holds its working set steady
// reads about zero.
import { readFile } from 'node:fs/promises';
import type { CpuTarget } from './cpu-time.js';
import { treePidsAsync } from './tree.js';

/** The tree's resident set size in bytes now, or null off Linux, when it is gone, or when it is not measured (a container). */
export async function treeRss(target: Pick<CpuTarget, 'pid' | 'cpuNotMeasured'>): Promise<number | null> {
  if (process.platform !== 'linux' || target.cpuNotMeasured) return null;
  const pids = await treePidsAsync(target.pid);
  const kb = await Promise.all(
    pids.map((pid) =>
      readFile(`/proc/${pid}/status`, 'utf8').then(
        (s) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(s)?.[1] ?? 0),
        () => 0,
      ),
    ),
  );
  const total = kb.reduce((a, b) => a + b, 0);
  return pids.length && total > 0 ? total * 1024 : null;
}

/** The tree's RSS growth over each kept trial, bytes (null where a reading failed). */
export class TrialRss {
  readonly readings: (number | null)[] = [];
  private before: number | null = null;

  constructor(private readonly target: Pick<CpuTarget, 'pid' | 'cpuNotMeasured'> | undefined) {}

  get enabled(): boolean {
    return this.target !== undefined && !this.target.cpuNotMeasured && process.platform === 'linux';
  }

  readonly boundary = async (when: 'before' | 'after', kept: boolean): Promise<void> => {
    if (!this.enabled) return;
    if (when === 'before') {
      this.before = await treeRss(this.target!);
      return;
    }
    if (!kept) return;
    const after = await treeRss(this.target!);
    this.readings.push(this.before !== null && after !== null ? after - this.before : null);
  };
}
