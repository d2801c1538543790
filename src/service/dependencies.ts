// The service's dependencies (a database, a cache): each started like a service (its own process
// group and cgroup, a free port, readiness, its log), then set up (a schema, seed data), in the
// order the config lists them, before the service; stopped after it, in reverse order, with the
// same guarantees (a gentle `stop` command if given, SIGTERM to the tree, SIGKILL after the
// grace). A dependency that never becomes ready, whose setup fails, or that exits during the
// load stops the run with its log tail, as the service does.
import { spawn } from 'node:child_process';
import type { DependencyConfig, ServiceConfig } from '../config/types.js';
import type { RunFailure } from '../contract/result.js';
import { launch, withoutTokens, type Launched, type LaunchOptions } from './launch.js';

export interface RunningDependency {
  name: string;
  config: DependencyConfig;
  launched: Launched;
  port: number | undefined;
  /** The variables it gives the service (its `provides`, {port} replaced). */
  provides: Record<string, string>;
}

export interface Dependencies {
  running: RunningDependency[];
  /** Every running dependency's `provides`, for the service's environment. */
  env: Record<string, string>;
  failure: RunFailure | null;
  /** Why the load must stop: a dependency exited on its own. */
  crashed(): string | undefined;
  /** Stops every one of them, the last started first. */
  stop(): Promise<void>;
}

export interface DependencyOptions extends Omit<LaunchOptions, 'label' | 'logFile' | 'appendLog'> {
  /** "" for the shared ones, " of the base build" for a side's own copies. */
  labelSuffix?: string;
  /** The log file for a dependency, by name (undefined: none). */
  logFile?: (name: string) => string | undefined;
  /** Append to the log files (a build started again). */
  appendLog?: boolean;
}

const SETUP_TIMEOUT_MS = 10 * 60_000;

/** Starts the dependencies in order; on a failure, stops the ones already up and says which failed. */
export async function startDependencies(deps: readonly DependencyConfig[], o: DependencyOptions): Promise<Dependencies> {
  const running: RunningDependency[] = [];
  const env: Record<string, string> = {};
  const set: Dependencies = {
    running,
    env,
    failure: null,
    crashed: () => {
      for (const d of running) {
        const why = d.launched.crashed();
        if (why) return why;
      }
      return undefined;
    },
    stop: async () => {
      for (const d of [...running].reverse()) {
        if (d.config.stop && d.launched.service && !d.launched.service.exit)
          await runCommand(
            d.config.stop,
            d.config.service.cwd,
            { ...withoutTokens(o.env), ...d.config.service.env, ...portEnv(d.port) },
            undefined,
            d.config.service.stopTimeoutMs,
          );
        await d.launched.stop();
      }
    },
  };
  for (const dep of deps) {
    const label = `the dependency "${dep.name}"${o.labelSuffix ?? ''}`;
    const logFile = o.logFile?.(dep.name);
    const launched = await launch(dep.service, { ...o, env: { ...o.env, ...env }, label, logFile, appendLog: o.appendLog });
    if (launched.failure) {
      await launched.stop();
      await set.stop();
      set.failure = launched.failure;
      return set;
    }
    const port = portOf(launched.baseUrl);
    const provides = Object.fromEntries(Object.entries(dep.provides).map(([k, v]) => [k, v.replaceAll('{port}', String(port ?? ''))]));
    const d: RunningDependency = { name: dep.name, config: dep, launched, port, provides };
    running.push(d);
    if (dep.setup) {
      o.progress.info(`perfgate: setting up ${label}: ${dep.setup}`);
      const setupEnv = { ...withoutTokens(o.env), ...env, ...dep.service.env, ...provides, ...portEnv(port) };
      const outcome = await runCommand(dep.setup, dep.service.cwd, setupEnv, logTo(launched), SETUP_TIMEOUT_MS, o.signal);
      if (outcome.code !== 0) {
        await set.stop();
        set.failure = {
          kind: 'never-ready',
          message: `${label} could not be set up: \`${dep.setup}\` ${outcome.code === null ? outcome.why : `exited with ${outcome.code}`}`,
          logTail: outcome.tail,
        };
        return set;
      }
    }
    Object.assign(env, provides);
  }
  return set;
}

/** A command's output into the dependency's own log (its file and its tail). */
function logTo(launched: Launched): ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined {
  const log = launched.service?.log;
  return log ? (stream, chunk) => log.write(stream, chunk) : undefined;
}

function portOf(url: string): number | undefined {
  try {
    const p = new URL(url).port;
    return p ? Number(p) : undefined;
  } catch {
    return undefined;
  }
}

const portEnv = (port: number | undefined): Record<string, string> => (port !== undefined ? { PORT: String(port) } : {});

/**
 * A shell command in its own process group, its output passed to `out` line by line (into the
 * dependency's log), killed after `timeoutMs` or on abort. Its exit code (null when it did not
 * exit by itself), and the last lines of its output.
 */
function runCommand(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  out: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ code: number | null; why: string; tail: string[] }> {
  return new Promise((done) => {
    const lines: string[] = [];
    const child = spawn('sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const)
      stream.on('data', (b: Buffer) => {
        out?.(name, b);
        lines.push(...b.toString('utf8').split('\n').filter(Boolean));
        if (lines.length > 200) lines.splice(0, lines.length - 200);
      });
    let why = '';
    const kill = (reason: string): void => {
      why = reason;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(() => kill(`did not finish within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    const onAbort = (): void => kill('was interrupted');
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null, fallback: string): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      done({ code, why: why || fallback, tail: lines.slice(-20) });
    };
    child.on('error', (err) => finish(null, `could not run (${err.message})`));
    child.on('close', (code, sig) => finish(why ? null : code, sig ? `was stopped by ${sig}` : ''));
  });
}

/**
 * One build's system: its own (per-build) dependencies, then the service with what they provide
 * in its environment. Stopping it stops the service first; a dependency exiting during the load
 * stops the load as the service's own exit would.
 */
export async function launchSystem(
  svc: ServiceConfig,
  deps: readonly DependencyConfig[],
  o: LaunchOptions & {
    dependencyLog?: (name: string) => string | undefined;
    labelSuffix?: string;
    /** Dependencies shared by the run: one that exits stops the load too. */
    shared?: Pick<Dependencies, 'crashed'>;
  },
): Promise<Launched> {
  if (!deps.length) {
    const alone = await launch(svc, o);
    const shared = o.shared;
    if (!shared) return alone;
    const crashedService = alone.crashed;
    return { ...alone, crashed: () => crashedService() ?? shared.crashed() };
  }
  const own = await startDependencies(deps, { ...o, logFile: o.dependencyLog, labelSuffix: o.labelSuffix });
  if (own.failure)
    return {
      service: undefined,
      baseUrl: '',
      readyMs: null,
      failure: own.failure,
      logTail: () => own.failure!.logTail,
      crashed: () => undefined,
      stop: async () => {},
      dependencies: [],
    };
  const launched = await launch(svc, { ...o, env: { ...o.env, ...own.env } });
  const stopService = launched.stop;
  const crashedService = launched.crashed;
  return {
    ...launched,
    crashed: () => crashedService() ?? own.crashed() ?? o.shared?.crashed(),
    stop: async () => {
      await stopService();
      await own.stop();
    },
    dependencies: own.running,
  };
}
