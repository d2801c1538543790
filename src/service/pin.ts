// CPU pinning for duet trials (sched_setaffinity through util-linux's `taskset`): both services'
// whole trees on one CPU set, the load generator on the others, so that the two builds share
// the same CPU at the same time and whatever slows one slows the other alike.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { treePidsAsync } from './tree.js';

const run = promisify(execFile);

/** The CPUs this process may run on (its affinity list), or null where it cannot be read. */
export async function allowedCpus(pid = process.pid): Promise<number[] | null> {
  if (process.platform !== 'linux') return null;
  try {
    const { stdout } = await run('taskset', ['-c', '-p', String(pid)]);
    const list = /:\s*([\d,\s-]+)$/.exec(stdout.trim())?.[1];
    return list ? parseCpuList(list) : null;
  } catch {
    return null;
  }
}

/** "0-2,5" → [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a!); c++) out.push(c);
  }
  return out;
}

/** How to split the CPUs: the services on the upper half (at least one), the load generator on the rest. */
export function splitCpus(cpus: readonly number[]): { services: number[]; load: number[] } | null {
  if (cpus.length < 2) return null;
  const n = Math.max(1, Math.floor(cpus.length / 2));
  return { services: cpus.slice(cpus.length - n), load: cpus.slice(0, cpus.length - n) };
}

/** Pins every thread of `pid` to `cpus`; the reason it failed, or null. */
export async function pinProcess(pid: number, cpus: readonly number[]): Promise<string | null> {
  try {
    await run('taskset', ['-a', '-c', '-p', cpus.join(','), String(pid)]);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') return 'taskset (util-linux) is not installed';
    return (e.stderr ?? e.message).trim().split('\n').pop() ?? 'taskset failed';
  }
}

/** Pins a whole process tree (processes it starts later inherit the setting). */
export async function pinTree(root: number, cpus: readonly number[]): Promise<string | null> {
  for (const pid of await treePidsAsync(root)) {
    const why = await pinProcess(pid, cpus);
    // A process that exited meanwhile is not a failure of pinning.
    if (why && !/No such process|failed to get pid/i.test(why)) return why;
  }
  return null;
}
