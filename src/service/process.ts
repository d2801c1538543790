// Starting and stopping the service under test: its own process group, captured output,
// exit detection, and a teardown that leaves no process of the tree behind.
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createCpuGroup, joinLine, type CpuGroup } from './cgroup.js';
import { containerRuntime } from './cpu-time.js';
import { LogBuffer } from './log.js';
import { isAlive, signalAll, treePids, waitGone } from './tree.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Spawn failure (cwd missing, shell missing), when the process never ran. */
  error?: string;
  at: number;
}

export interface ServiceProcess {
  pid: number;
  /** The cgroup the service runs in (its CPU time counted there), or null: /proc is read instead. */
  cgroup: CpuGroup | null;
  /** Why its CPU time is not measured (a container runtime), or undefined. */
  cpuNotMeasured?: string;
  log: LogBuffer;
  /** Settles when the service's main process exits, for whatever reason. */
  exited: Promise<ExitInfo>;
  /** Set once exited. */
  exit?: ExitInfo;
  /** True once stop() was called: an exit after that is expected, not a crash. */
  stopping: boolean;
  /**
   * SIGTERM to the whole tree, grace, then SIGKILL; resolves when no process of it is left. With
   * `rootFirst`, SIGTERM goes to the root alone first and the tree gets it only if the root has
   * not taken its tree down within the grace (a database shuts its own processes down in order;
   * a signal to each of them at once reads to it as a crash).
   */
  stop(graceMs: number, o?: { rootFirst?: boolean }): Promise<{ forced: boolean; survivors: number[] }>;
}

export interface StartOptions {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Full output goes here. */
  logFile?: string;
  /** Append to logFile instead of replacing it. */
  appendLog?: boolean;
  /** Run it in a cgroup of its own where one can be made (default true). */
  cgroup?: boolean;
}

/**
 * Services still running. If perfgate exits without stopping them (a crash, a closed stdout),
 * the exit handler kills their process groups, so that nothing is left behind.
 */
const running = new Map<number, CpuGroup | null>();
let exitHook = false;
function remember(pid: number, group: CpuGroup | null): void {
  running.set(pid, group);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const [p, g] of running) {
      try {
        process.kill(-p, 'SIGKILL');
      } catch {
        // already gone
      }
      g?.remove();
    }
  });
}

export function startService(opts: StartOptions): ServiceProcess {
  let file: WriteStream | undefined;
  if (opts.logFile) file = createWriteStream(opts.logFile, { flags: opts.appendLog ? 'a' : 'w' });
  const log = new LogBuffer(200, file ? (line) => file!.write(`${line.stream === 'stderr' ? '! ' : '  '}${line.text}\n`) : undefined);

  const cpuNotMeasured = containerRuntime(opts.command);
  const group = opts.cgroup === false || cpuNotMeasured ? null : createCpuGroup(opts.env);
  const child = spawn(`${group ? joinLine(group) + ' ' : ''}${shellCommand(opts.command)}`, {
    shell: true,
    cwd: opts.cwd,
    env: opts.env,
    detached: true, // own process group: Ctrl-C in perfgate's terminal does not reach it, we stop it
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) remember(child.pid, group);
  child.stdout.on('data', (chunk: Buffer) => log.write('stdout', chunk));
  child.stderr.on('data', (chunk: Buffer) => log.write('stderr', chunk));

  let stopping: Promise<{ forced: boolean; survivors: number[] }> | undefined;
  const handle: ServiceProcess = {
    pid: child.pid ?? -1,
    cgroup: group,
    ...(cpuNotMeasured ? { cpuNotMeasured } : {}),
    log,
    stopping: false,
    exited: new Promise<ExitInfo>((resolve) => {
      let done = false;
      const finish = (info: ExitInfo): void => {
        if (done) return;
        done = true;
        log.flush();
        handle.exit = info;
        resolve(info);
      };
      child.on('error', (err) =>
        finish({
          code: null,
          signal: null,
          error: err.message,
          at: Date.now(),
        }),
      );
      // 'close' waits for stdio to end; a grandchild holding the pipes would delay it, so use 'exit'
      // and give the pipes a moment to drain.
      child.on('exit', (code, signal) => setTimeout(() => finish({ code, signal, at: Date.now() }), 50));
    }),
    stop(graceMs: number, o?: { rootFirst?: boolean }) {
      handle.stopping = true;
      stopping ??= stopTree(handle, graceMs, o?.rootFirst ?? false).then(async (outcome) => {
        running.delete(handle.pid);
        // Whatever left the tree but not the group (a daemon that re-parented itself) goes too.
        group?.remove();
        // The tree is gone; let Node's exit event land so the exit code is known.
        await Promise.race([handle.exited, new Promise((r) => setTimeout(r, 1000))]);
        await new Promise<void>((r) => (file ? file.end(r) : r()));
        return outcome;
      });
      return stopping;
    },
  };
  return handle;
}

async function stopTree(handle: ServiceProcess, graceMs: number, rootFirst: boolean): Promise<{ forced: boolean; survivors: number[] }> {
  if (handle.pid < 0) return { forced: false, survivors: [] };
  // Snapshot the tree before signalling: once the root dies its children are re-parented and
  // can no longer be found through it.
  const known = new Set(treePids(handle.pid));
  if (handle.exit === undefined) known.add(handle.pid);
  if (rootFirst && handle.exit === undefined) {
    try {
      process.kill(handle.pid, 'SIGTERM');
    } catch {
      // gone already
    }
    // Until the tree is gone, or the root is (a shell that did not wait for its children): then the tree gets it too.
    if (await waitGone([...known], graceMs, handle.pid)) return { forced: false, survivors: [] };
  }
  signalAll(handle.pid, [...known], 'SIGTERM');
  let pids = [...known];
  if (await waitGone(pids, graceMs)) return { forced: false, survivors: [] };
  // Whoever was started meanwhile by a survivor is part of the tree too.
  for (const pid of pids.filter(isAlive)) for (const d of treePids(pid)) known.add(d);
  pids = [...known];
  signalAll(handle.pid, pids, 'SIGKILL');
  await waitGone(pids, 2000);
  return { forced: true, survivors: pids.filter(isAlive) };
}

const SHELL_WORDS = new Set([
  'cd',
  'export',
  'set',
  'unset',
  'if',
  'for',
  'while',
  'until',
  'case',
  '{',
  '!',
  'exec',
  'time',
  'source',
  '.',
  'eval',
  'trap',
  'ulimit',
  'umask',
]);

/**
 * `exec` in front of a simple command, so that the service itself (not a shell) is the process
 * we watch and signal: its exit code and signal are the ones reported. Commands that need the
 * shell (pipes, lists, assignments, builtins) run as written; stopping them still reaches the
 * whole process group.
 */
export function shellCommand(command: string): string {
  const trimmed = command.trim();
  if (/[;&|<>()`$\n\\]/.test(trimmed)) return command;
  const first = trimmed.split(/\s+/)[0] ?? '';
  if (/^[A-Za-z_]\w*=/.test(first) || SHELL_WORDS.has(first)) return command;
  return `exec ${trimmed}`;
}
