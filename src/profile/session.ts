// Running a profiler on the service's process tree for one trial. The service was started with
// perfgate's agents on hand (profileEnv): Node.js processes load the V8 agent, Python processes
// the sampler; both wait for a command in the control file. Which profiler runs follows what
// the tree holds (or the config's choice): Node.js → V8's CPU profiler; Python → perfgate's
// sampler, or austin attached from outside where no process loaded the sampler and austin can
// read the interpreter; anything else → `perf record` (software clock). Every way out of here gives a profile or a plain reason, never a failed run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProfileMode, StackProfile } from '../contract/profile.js';
import { assetPath } from '../util/assets.js';
import { treePidsAsync } from '../service/tree.js';
import {
  jsCallLines,
  jsFunctions,
  readAustin,
  readCpuProfile,
  readPerfScript,
  readSampler,
  readSamplerWall,
  readWall,
  type SamplerOutput,
} from './formats.js';
import type { ProfileFrame } from '../contract/profile.js';
import { StackBuilder } from './stacks.js';

/** Sampling interval of every profiler (µs): 1 kHz. */
export const INTERVAL_US = 1000;
/** How long stopping waits for the agents' files and the tools to exit. */
const COLLECT_MS = 8000;

/** What the service's environment gets for a profiled start: the agents, idle until told. */
export function profileEnv(dir: string, inherited: NodeJS.ProcessEnv): Record<string, string> {
  const nodeOptions = [inherited.NODE_OPTIONS, `--require ${JSON.stringify(assetPath('templates', 'profilers', 'node-agent.cjs'))}`];
  const pythonPath = [assetPath('templates', 'profilers', 'python'), inherited.PYTHONPATH];
  return {
    PERFGATE_PROFILE_DIR: dir,
    NODE_OPTIONS: nodeOptions.filter(Boolean).join(' '),
    PYTHONPATH: pythonPath.filter(Boolean).join(delimiter),
  };
}

/** A wall-clock view: where the service's threads and tasks spent time, running or waiting. */
export interface WallProfile {
  profile: StackProfile;
  /** Wall time one sample stands for (µs). */
  intervalUs: number;
}

export interface Collected {
  profile: StackProfile | null;
  /** Where requests wait (the Python sampler's or the Node.js agent's wall-clock view); absent where the profiler has none. */
  wall?: WallProfile | null;
  /** Why there is no profile, or what was tried before the one that ran. */
  note: string | null;
  /** The profiler's own output files (V8's .cpuprofile opens in Chrome DevTools), to keep. */
  raw?: string[];
}

export interface RunningProfiler {
  profiler: string;
  stop(): Promise<Collected>;
}

/** Starts the profiler the tree needs; a reason when none can run. */
export async function startProfiler(
  mode: Exclude<ProfileMode, 'off'>,
  root: number,
  dir: string,
): Promise<RunningProfiler | { reason: string }> {
  const pids = await treePidsAsync(root);
  if (!pids.length) return { reason: 'the service has no running process to profile' };
  const agents = (runtime: string): number[] => {
    const stems = agentFiles(dir, runtime, pids, 'ready');
    return pids.filter((p) => stems.some((s) => s === `${runtime}-${p}` || s.startsWith(`${runtime}-${p}-t`)));
  };
  const node = agents('node');
  const python = agents('python');
  const pythonExe = pids.filter((p) => /python/.test(exeName(p)));
  const kind = mode === 'auto' ? (node.length ? 'node' : python.length || pythonExe.length ? 'python' : 'perf') : mode;
  if (kind === 'node') {
    if (!node.length)
      return {
        reason: `no Node.js process of the service loaded perfgate's agent (processes ${pids.map((p) => `${p} ${exeName(p) || '?'}`).join(', ')}); NODE_OPTIONS must reach the node process`,
      };
    return agentProfiler('node', 'V8 CPU profiler', node, dir);
  }
  if (kind === 'python') {
    if (!python.length && !pythonExe.length)
      return { reason: `no Python process in the service's tree (processes ${pids.map((p) => `${p} ${exeName(p) || '?'}`).join(', ')})` };
    // The sampler counts CPU time in every process that loaded it; austin (attached from outside)
    // is for Python that did not load it (PYTHONPATH ignored: `python -E`, `-I`, a reset environment).
    if (python.length) return agentProfiler('python', "perfgate's Python sampler", python, dir);
    const austin = await startAustin(pythonExe[0]!, dir);
    if ('running' in austin) return austin.running;
    return { reason: `no Python process loaded perfgate's sampler (PYTHONPATH must reach it), and ${austin.reason}` };
  }
  return startPerf(pids, dir);
}

function readSource(file: string): string {
  try {
    return file.startsWith('/') ? readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
}

/** A service's own script as read from disk: its functions and the lines that only call one (nothing for files that are not there). */
function scriptSource(): { functions: (file: string) => ProfileFrame[]; callOn: (file: string, line: number) => ProfileFrame | undefined } {
  const cache = new Map<string, { functions: ProfileFrame[]; calls: Map<number, ProfileFrame> }>();
  const read = (file: string) => {
    let entry = cache.get(file);
    if (!entry) {
      const source = readSource(file);
      const functions = source ? jsFunctions(source, file) : [];
      cache.set(file, (entry = { functions, calls: jsCallLines(source, functions) }));
    }
    return entry;
  };
  return { functions: (file) => read(file).functions, callOn: (file, line) => read(file).calls.get(line) };
}

let commands = 0;
function command(dir: string, text: string): void {
  writeFileSync(join(dir, 'control'), `${text} ${++commands}\n`);
}

/** An agent's file stem for a process (and, for Node.js, a worker thread): `node-PID`, `node-PID-t3`. */
const AGENT_FILE = /^(node|python)-(\d+)(?:-t\d+)?\.(\w+)$/;

/** The agents' files of these processes in dir, by extension: stems (`node-123-t2`). */
function agentFiles(dir: string, runtime: string, pids: number[], ext: string): string[] {
  const want = new Set(pids.map(String));
  return readdirSync(dir)
    .map((f) => AGENT_FILE.exec(f))
    .filter((m): m is RegExpExecArray => !!m && m[1] === runtime && want.has(m[2]!) && m[3] === ext)
    .map((m) => m[0].slice(0, -(ext.length + 1)));
}

/** The Node.js agent's wall-clock view of one isolate, added to `into`: its interval (µs), or 0 when it wrote none. */
function readNodeWall(file: string, into: StackBuilder): number {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as SamplerOutput['wall'];
    if (!data?.samples) return 0;
    readWall(data, into);
    return data.intervalUs;
  } catch {
    return 0; // an agent without the view (older, or async_hooks missing)
  }
}

/**
 * Every agent of these processes profiles from "start" to "stop": one profile per process, and in
 * Node.js one per isolate (the main thread and each worker thread), merged into one. A worker
 * that ends while profiled writes its profile as it exits; one that began during the trial
 * (a pool growing) is profiled from its start and collected too.
 */
function agentProfiler(runtime: 'node' | 'python', profiler: string, pids: number[], dir: string): RunningProfiler {
  const ext = runtime === 'node' ? 'cpuprofile' : 'json';
  // The last trial's profiles are not this one's.
  for (const stem of [...agentFiles(dir, runtime, pids, ext), ...agentFiles(dir, runtime, pids, 'gone')])
    for (const e of [ext, 'gone', 'wall.json']) rmSync(join(dir, `${stem}.${e}`), { force: true });
  const atStart = agentFiles(dir, runtime, pids, 'ready');
  command(dir, `start ${INTERVAL_US}`);
  const pidOf = (stem: string): number => Number(AGENT_FILE.exec(`${stem}.x`)![2]);
  return {
    profiler,
    stop: async () => {
      command(dir, 'stop');
      const answered = (stem: string): boolean =>
        existsSync(join(dir, `${stem}.${ext}`)) || existsSync(join(dir, `${stem}.gone`)) || !alive(pidOf(stem));
      await waitFor(() => atStart.every(answered), COLLECT_MS);
      // Isolates that began during the trial read "stop" at their next poll (50 ms).
      await sleep(120);
      const stems = agentFiles(dir, runtime, pids, ext);
      const files = stems.map((stem) => join(dir, `${stem}.${ext}`));
      const b = new StackBuilder();
      const source = scriptSource();
      const wall = new StackBuilder();
      let wallIntervalUs = 0;
      const problems: string[] = [];
      const read = new Set<number>();
      for (const [i, f] of files.entries()) {
        try {
          const data = JSON.parse(readFileSync(f, 'utf8')) as { error?: string };
          if (data.error) problems.push(data.error);
          else {
            if (runtime === 'node') {
              readCpuProfile(data as Parameters<typeof readCpuProfile>[0], b, source.functions, source.callOn);
              const waits = readNodeWall(join(dir, `${stems[i]!}.wall.json`), wall);
              if (waits) wallIntervalUs = waits;
            } else {
              readSampler(data as SamplerOutput, b);
              if (readSamplerWall(data as SamplerOutput, wall)) wallIntervalUs = (data as SamplerOutput).wall!.intervalUs;
            }
            read.add(pidOf(stems[i]!));
          }
        } catch (err) {
          problems.push((err as Error).message);
        }
      }
      if (!read.size)
        return {
          profile: null,
          note: `${profiler}: no profile came back from ${pids.length} process${pids.length === 1 ? '' : 'es'}${problems.length ? ` (${problems[0]})` : ''}`,
        };
      const isolates = b.processes;
      b.processes = read.size;
      const missing = pids.filter((p) => !read.has(p) && atStart.some((stem) => pidOf(stem) === p)).length;
      const notes = [
        isolates > read.size
          ? `${isolates} isolates (main and worker threads) of ${read.size} process${read.size === 1 ? '' : 'es'} merged`
          : null,
        missing ? `${missing} of ${pids.length} processes sent no profile` : null,
      ].filter(Boolean);
      return {
        profile: b.build(runtime, profiler),
        wall:
          wall.processes && wallIntervalUs
            ? { profile: wall.build(runtime, `${profiler} (wall clock)`), intervalUs: wallIntervalUs }
            : null,
        note: notes.length ? notes.join('; ') : null,
        raw: files,
      };
    },
  };
}

/**
 * The newest CPython each austin release reads (it follows the interpreter's internals; an older
 * austin searches a newer interpreter for ever). Debian 12's austin 1.0.1 reads 3.10, not 3.11
 * (checked here with pyenv's 3.8–3.11).
 */
export function austinReads(austin: string, python: string): boolean {
  const [a = 0, b = 0] = austin.split('.').map(Number);
  const [major = 0, minor = 0] = python.split('.').map(Number);
  if (major !== 3) return major === 2;
  const newest = a < 3 ? 10 : a === 3 && b < 4 ? 10 : a === 3 && b < 5 ? 11 : a === 3 && b < 7 ? 12 : 13;
  return minor <= newest || (a > 3 && minor <= 14);
}

/** The CPython version a process runs (from its executable's or library's name), or null. */
export function pythonVersion(pid: number): string | null {
  const fromName = /python(\d+\.\d+)/.exec(exeName(pid))?.[1];
  if (fromName) return fromName;
  try {
    return /libpython(\d+\.\d+)/.exec(readFileSync(`/proc/${pid}/maps`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

async function startAustin(pid: number, dir: string): Promise<{ running: RunningProfiler } | { reason: string }> {
  const austin = onPath('austin');
  if (!austin) return { reason: 'austin is not installed (Debian: apt-get install austin)' };
  const version = toolVersion(austin, /austin\s+(\S+)/) ?? '';
  if (Number(version.split('.')[0]) >= 4)
    return { reason: `austin ${version} writes only its binary MOJO format, which perfgate does not read (austin 1.x to 3.x write text)` };
  const python = pythonVersion(pid);
  if (python && version && !austinReads(version, python))
    return { reason: `austin ${version} cannot read CPython ${python} (it reads up to an older version)` };
  const out = join(dir, 'austin.txt');
  rmSync(out, { force: true });
  const child = spawn(austin, ['-C', '-s', '-i', String(INTERVAL_US), '-t', '500', '-o', out, '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = exitOf(child);
  // A reader that cannot find the interpreter says so within its -t start-up wait.
  const early = await Promise.race([exited, sleep(900).then(() => null)]);
  if (early) {
    const why = stderr.trim().split('\n').pop() || `exit ${early.code ?? early.signal}`;
    return { reason: `austin ${version} could not read this interpreter (${why})` };
  }
  const name = `austin ${version}`.trim();
  return {
    running: {
      profiler: name,
      stop: async () => {
        child.kill('SIGINT');
        await Promise.race([exited, sleep(COLLECT_MS)]);
        if (child.exitCode === null) child.kill('SIGKILL');
        const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
        const b = readAustin(text);
        const empty = !b.frames.length;
        return {
          raw: [out],
          profile: empty ? null : b.build('python', name),
          note: empty
            ? `${name} wrote no samples${stderr ? ` (${stderr.trim().split('\n').pop()})` : ''}`
            : "perfgate's sampler was not loaded (PYTHONPATH did not reach the service); austin samples from outside and leaves out threads it finds idle (-s, sleepless): an estimate of CPU time, not a measure of it",
        };
      },
    },
  };
}

async function startPerf(pids: number[], dir: string): Promise<RunningProfiler | { reason: string }> {
  const perf = onPath('perf');
  if (!perf)
    return {
      reason:
        'no profiler for this service: it runs no Node.js or Python, and Linux perf is not installed (Debian: apt-get install linux-perf)',
    };
  const paranoid = readParanoid();
  if (process.getuid?.() !== 0 && paranoid !== null && paranoid > 1)
    return {
      reason: `perf cannot sample other processes here: kernel.perf_event_paranoid is ${paranoid}; allow it with \`sudo sysctl kernel.perf_event_paranoid=1\``,
    };
  const version = toolVersion(perf, /perf version\s+(\S+)/);
  const name = `perf ${version ?? ''}`.trim();
  const data = join(dir, 'perf.data');
  const child = spawn(perf, ['record', '-q', '-e', 'cpu-clock', '-F', String(1e6 / INTERVAL_US), '-g', '-p', pids.join(','), '-o', data], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = exitOf(child);
  const early = await Promise.race([exited, sleep(400).then(() => null)]);
  if (early) return { reason: `${name} could not record: ${stderr.trim().split('\n').slice(-2).join(' ') || `exit ${early.code}`}` };
  return {
    profiler: name,
    stop: async () => {
      child.kill('SIGINT');
      await Promise.race([exited, sleep(COLLECT_MS)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      const script = spawnSync(perf, ['script', '-i', data], {
        encoding: 'utf8',
        maxBuffer: 512 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const b = readPerfScript(script.stdout ?? '');
      if (!b.frames.length)
        return { profile: null, note: `${name} recorded no samples${stderr ? ` (${stderr.trim().split('\n').pop()})` : ''}` };
      return { profile: b.build('perf', name), note: null };
    },
  };
}

function readParanoid(): number | null {
  try {
    return Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim());
  } catch {
    return null;
  }
}

function exeName(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`).split('/').pop() ?? '';
  } catch {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function onPath(tool: string): string | null {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(d, tool);
    if (d && existsSync(p)) return p;
  }
  return null;
}

function toolVersion(path: string, re: RegExp): string | null {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? null;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: -1, signal: null }));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await sleep(50);
}
