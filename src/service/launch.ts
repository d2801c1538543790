// Starting a configured service (or pointing at an external one) and waiting until it is ready;
// a service that cannot start or never becomes ready is a RunFailure with its log tail.
import type { ServiceConfig } from '../config/types.js';
import type { Progress } from '../util/progress.js';
import type { RunFailure } from '../contract/result.js';
import { freePort } from './port.js';
import { useTls } from './http-get.js';
import { startService, type ServiceProcess } from './process.js';
import { describeExit, waitReady } from './readiness.js';

export const LOG_TAIL_LINES = 30;

export interface Launched {
  service: ServiceProcess | undefined;
  baseUrl: string;
  readyMs: number | null;
  failure: RunFailure | null;
  logTail(): string[];
  /** A reason to stop the load: the service exited on its own. */
  crashed(): string | undefined;
  /** Stops the service's whole tree (no-op for an external target), then its own dependencies. */
  stop(): Promise<void>;
  /** The dependencies started with this build (per-build ones), whose CPU time is counted as the build's. */
  dependencies?: { name: string; launched: Launched }[];
}

export interface LaunchOptions {
  env: NodeJS.ProcessEnv;
  runId: string;
  logFile?: string;
  /** Append to the log file (a service started several times, as in A/B mode). */
  appendLog?: boolean;
  signal?: AbortSignal;
  progress: Progress;
  /** "the service", "the base service" … for messages. */
  label: string;
  /** Variables added last, from the environment the service would get (a profiled start's agents). */
  extraEnv?: (env: NodeJS.ProcessEnv) => Record<string, string>;
}

export function abortReason(signal: AbortSignal | undefined): string | undefined {
  return signal?.aborted ? `interrupted (${String(signal.reason ?? 'abort')})` : undefined;
}

export async function launch(svc: ServiceConfig, o: LaunchOptions): Promise<Launched> {
  const port = svc.port === 'auto' ? await freePort() : svc.port;
  const baseUrl = svc.url.replace('{port}', String(port));
  useTls(baseUrl, svc.tls);
  let service: ServiceProcess | undefined;
  if (svc.command) {
    o.progress.info(`perfgate: starting ${o.label}: ${svc.command}`);
    const env: NodeJS.ProcessEnv = {
      ...withoutTokens(o.env),
      ...svc.env,
      ...(port !== undefined ? { PORT: String(port) } : {}),
      PERFGATE_RUN_ID: o.runId,
    };
    service = startService({
      command: svc.command,
      cwd: svc.cwd,
      env: { ...env, ...o.extraEnv?.(env) },
      logFile: o.logFile,
      appendLog: o.appendLog,
    });
  } else {
    o.progress.info(`perfgate: external target ${baseUrl}`);
  }
  const logTail = (): string[] => service?.log.tail(LOG_TAIL_LINES).map((l) => l.text) ?? [];
  const launched: Launched = {
    service,
    baseUrl,
    readyMs: null,
    failure: null,
    logTail,
    crashed: () =>
      service?.exit && !service.stopping
        ? `${o.label} exited during load (${service.exit.error ?? describeExit(service.exit)})`
        : undefined,
    stop: async () => {
      if (!service) return;
      o.progress.info(`perfgate: stopping ${o.label}`);
      const stopped = await service.stop(svc.stopTimeoutMs, { rootFirst: svc.stopRootFirst });
      if (stopped.survivors.length) o.progress.info(`perfgate: warning: processes ${stopped.survivors.join(', ')} survived SIGKILL`);
    },
  };
  const ready = await waitReady(svc.ready, baseUrl, service, o.signal);
  if (ready.ready) {
    launched.readyMs = ready.ms;
    // The shell joins its cgroup before it runs the command; where it could not, /proc is read.
    if (service?.cgroup && !service.cgroup.holds(service.pid)) {
      service.cgroup.remove();
      service.cgroup = null;
    }
    o.progress.info(`perfgate: ${o.label} is ready after ${ready.ms} ms at ${baseUrl}`);
  } else if (ready.reason === 'aborted') {
    launched.failure = { kind: 'aborted', message: abortReason(o.signal) ?? 'interrupted', logTail: logTail() };
  } else {
    const spawnError = service?.exit?.error;
    launched.failure = {
      kind: spawnError ? 'spawn-failed' : 'never-ready',
      message: spawnError ? `${o.label} could not be started: ${spawnError}` : `${o.label} never became ready: ${ready.detail}`,
      exit: service?.exit ? { code: service.exit.code, signal: service.exit.signal } : undefined,
      logTail: logTail(),
    };
  }
  return launched;
}

/**
 * The runner's credentials never reach the service under test (a pull request controls its
 * code): the Action's token input and the runner's own tokens are removed. A service that needs a
 * token gets it from the config's `env`.
 */
export const WITHHELD_FROM_SERVICE = ['GITHUB_TOKEN', 'INPUT_GITHUB-TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'];

export function withoutTokens(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of WITHHELD_FROM_SERVICE) delete out[k];
  return out;
}
