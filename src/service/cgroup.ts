// A cgroup (v2) of the service's own, where perfgate may make one (root, or a delegated
// subtree): its cpu.stat counts the CPU time of every thread and process that ran in it, those
// that exited during a trial included, in microseconds. The service's shell joins it before it
// runs the command, so everything it starts is inside. Where no cgroup can be made (no cgroup2
// mount, no write permission: a hosted runner's unprivileged user), the caller counts /proc.
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CpuGroup {
  /** The cgroup's directory. */
  dir: string;
  /** CPU time of everything that ran in the group, in nanoseconds (µs resolution); null when unreadable. */
  usageNs(): Promise<number | null>;
  /** Whether a process is in the group (the service's shell joined it). */
  holds(pid: number): boolean;
  /** Processes still in the group. */
  pids(): number[];
  /** Kills whatever is left in it and removes it; never throws. */
  remove(): void;
}

let made = 0;

/** Where this process's own cgroup v2 is, as a directory, or null when there is none to write to. */
function ownCgroupDir(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!line) return null;
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
    if (!mount) return null;
    // Field 4 is the mount's root within the hierarchy, field 5 where it is mounted.
    const [root, at] = [mount[3]!, mount[4]!];
    const own = line.slice(3).trim();
    if (!own.startsWith(root)) return null;
    return join(at, own.slice(root.length));
  } catch {
    return null;
  }
}

/**
 * A new cgroup for one service start, beside nothing else of perfgate's (a child of perfgate's
 * own cgroup), or null where it cannot be made. PERFGATE_CGROUP=off counts /proc instead.
 */
export function createCpuGroup(env: NodeJS.ProcessEnv = process.env): CpuGroup | null {
  if (env.PERFGATE_CGROUP === 'off') return null;
  const parent = ownCgroupDir();
  if (!parent || !existsSync(join(parent, 'cgroup.procs'))) return null;
  const dir = join(parent, `perfgate-${process.pid}-${++made}`);
  try {
    mkdirSync(dir);
  } catch {
    return null;
  }
  if (!existsSync(join(dir, 'cpu.stat'))) {
    tryRmdir(dir);
    return null;
  }
  const pids = (): number[] => {
    try {
      return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  return {
    dir,
    async usageNs() {
      try {
        const stat = await readFile(join(dir, 'cpu.stat'), 'utf8');
        const m = /^usage_usec (\d+)$/m.exec(stat);
        return m ? Number(m[1]) * 1000 : null;
      } catch {
        return null;
      }
    },
    holds: (pid) => pids().includes(pid),
    pids,
    remove() {
      for (const pid of pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      tryRmdir(dir);
    },
  };
}

/** A killed process leaves the group a moment after the signal: a few tries, then leave it. */
function tryRmdir(dir: string): void {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** The shell line that moves the service's shell into the group before it runs the command. */
export function joinLine(group: CpuGroup): string {
  return `echo $$ > '${join(group.dir, 'cgroup.procs').replace(/'/g, `'\\''`)}' 2>/dev/null;`;
}
