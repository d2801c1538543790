// Before opening N connections: is the open-file limit high enough? Node raises its own soft
// limit to the hard limit when it starts, so what is left to check is the hard limit.
import { readFileSync } from 'node:fs';

/** File descriptors perfgate needs besides the load's sockets (stdio, logs, probes, sampling). */
const HEADROOM = 64;

export interface FdLimit {
  soft: number;
  hard: number;
}

export function readFdLimit(): FdLimit | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const m = line && /Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) return undefined;
    const num = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: num(m[1]!), hard: num(m[2]!) };
  } catch {
    return undefined; // not Linux: nothing to read, the OS will say EMFILE if it comes to that
  }
}

/** A message when `connections` sockets cannot be opened under `limit`, else undefined. */
export function fdProblem(connections: number, limit: FdLimit | undefined): string | undefined {
  if (!limit) return undefined;
  const needed = connections + HEADROOM;
  if (needed <= limit.soft) return undefined;
  return (
    `${connections} connections need about ${needed} open files, but this process may open only ${limit.soft} ` +
    `(hard limit ${limit.hard}; Node already raised its soft limit as far as the hard limit allows). ` +
    `Raise the hard limit (e.g. \`ulimit -Hn ${needed * 2}\` as root, or LimitNOFILE= in a systemd unit) or lower connections.`
  );
}
