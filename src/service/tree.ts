// The process tree of a service: who belongs to it, who is still alive, how to signal all of it.
// Linux reads /proc; elsewhere `ps` answers the same questions.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

function parseStat(pid: number, stat: string): ProcInfo {
  // The command name is in parentheses and may itself hold spaces or parentheses.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0]!, ppid: Number(rest[1]), pgid: Number(rest[2]) };
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The same as allProcs, without blocking: the resource sampler runs every 500 ms in the process
 * that sends the load, and reading all of /proc at once held the load engine's timers back.
 */
async function allProcsAsync(): Promise<ProcInfo[]> {
  if (process.platform !== 'linux') return allProcs();
  const names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const read = await Promise.all(
    names.map((n) =>
      readFile(`/proc/${n}/stat`, 'utf8').then(
        (t) => parseStat(Number(n), t),
        () => undefined,
      ),
    ),
  );
  return read.filter((p): p is ProcInfo => p !== undefined);
}

function allProcs(): ProcInfo[] {
  if (process.platform === 'linux') {
    const out: ProcInfo[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const info = readProc(Number(name));
      if (info) out.push(info);
    }
    return out;
  }
  try {
    const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat='], {
      encoding: 'utf8',
    });
    return text
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .map(([pid, ppid, pgid, state]) => ({
        pid: Number(pid),
        ppid: Number(ppid),
        pgid: Number(pgid),
        state: state?.[0] ?? '?',
      }));
  } catch {
    return [];
  }
}

/** `root` and every live descendant of it, plus every live member of its process group. */
export function treePids(root: number): number[] {
  return treeOf(root, allProcs());
}

/**
 * treePids without blocking the event loop (for sampling during load). With `zombies`, exited
 * processes not reaped yet are kept too (their CPU count is final, and their parent is charged
 * only once it reaps them).
 */
export async function treePidsAsync(root: number, o: { zombies?: boolean } = {}): Promise<number[]> {
  return treeOf(root, await allProcsAsync(), o.zombies);
}

function treeOf(root: number, all: ProcInfo[], zombies = false): number[] {
  const procs = all.filter((p) => p.state !== 'X' && (zombies || p.state !== 'Z'));
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const found = new Set<number>();
  if (procs.some((p) => p.pid === root)) found.add(root);
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!found.has(child)) {
        found.add(child);
        queue.push(child);
      }
    }
  }
  for (const p of procs) if (p.pgid === root) found.add(p.pid);
  return [...found];
}

/** A pid that exited but was not reaped yet (a zombie) counts as gone. */
export function isAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    const info = readProc(pid);
    return info !== undefined && info.state !== 'Z' && info.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function signalAll(pgid: number, pids: number[], signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // group already gone
  }
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Polls until every pid is gone or `ms` has passed (or `until` is gone); true when all are gone. */
export async function waitGone(pids: number[], ms: number, until?: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (pids.every((pid) => !isAlive(pid))) return true;
    if (Date.now() >= deadline || (until !== undefined && !isAlive(until))) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
