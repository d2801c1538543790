// The profiled trial: after the measured trials (so that a profiler never biases a figure that
// is judged), each build is started once more with perfgate's agents on hand, every scenario is
// warmed up and loaded for two trials at its own load: an unprofiled reference, then one while a
// sampling profiler watches the service's process tree (their difference is the profiler's cost). Out come the hottest functions per request, in A/B mode the functions
// whose self time grew from base to head, and flame graphs (per build and differential) and
// speedscope files in OUT/profiles/. Nothing here changes the verdict; a profiler that cannot
// run leaves its reason in the report.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Config, DependencyConfig, ScenarioConfig, ServiceConfig } from '../config/types.js';
import type { ProfiledScenario, ProfiledSide, ProfileMode, ProfileResult, StackProfile } from '../contract/profile.js';
import type { ScenarioResult } from '../contract/result.js';
import { runScenario } from '../load/scenario.js';
import { alignLines, functionGrowth, hotFunctions, ownCodeStacks, sampledWeight } from '../profile/stacks.js';
import { profileEnv, startProfiler, type Collected, type RunningProfiler } from '../profile/session.js';
import { flameGraphHtml, speedscopeJson } from '../report/flame-graph.js';
import { profileIndexHtml } from '../report/profile-index.js';
import { launchSystem } from '../service/dependencies.js';
import { abortReason } from '../service/launch.js';
import { median } from '../stats/robust.js';
import { dependencyLog, progressHooks, TrialResources, withLoadPool, type MeasureContext } from './measure.js';

export interface ProfileTarget {
  side: 'head' | 'base';
  service: ServiceConfig;
  /** The build's own (per-build) dependencies, started with it. */
  dependencies: DependencyConfig[];
  label: string;
  log: string | null;
  /** Where the build's source lives: file paths under it are shown relative to it, alike on both sides. */
  root: string;
  /** The side's measured scenarios (their req/s and CPU per request are the reference). */
  measured: ScenarioResult[];
}

interface SideRun {
  side: ProfiledSide;
  profile: StackProfile | null;
  /** The wall-clock view's stacks, where the profiler has one. */
  wall: StackProfile | null;
}

/** The profilers' own files of one scenario and build, kept in OUT/profiles/raw/. */
function keepRaw(files: string[] | undefined, outDir: string, scenario: string, side: string): void {
  if (!files?.length) return;
  const raw = join(outDir, 'profiles', 'raw');
  mkdirSync(raw, { recursive: true });
  for (const f of files) copyFileSync(f, join(raw, `${slug(scenario)}-${side}-${basename(f)}`));
}

/** Whether (and why) this run is profiled: null for not. */
export function profileWhy(config: Pick<Config, 'profile' | 'mode'>, verdict: string, failed: boolean): string | null {
  if (failed) return null;
  if (config.profile.requested) return 'asked for (perfgate run --profile, or the Action input profile: on)';
  if (config.profile.mode === 'off') return null;
  if (config.profile.mode !== 'auto') return `the config asks for it (profile: ${config.profile.mode})`;
  if (config.mode === 'ab' && verdict === 'fail') return 'the A/B gate failed: the report says where the time went';
  return null;
}

export async function profileRun(
  config: Config,
  targets: ProfileTarget[],
  ctx: MeasureContext,
  outDir: string,
  why: string,
): Promise<ProfileResult> {
  const scenarios = config.scenarios.filter((s) => !s.ramp);
  ctx.progress.info(`perfgate: profiling ${targets.map((t) => t.side).join(' and ')} (${why}): one more trial of each scenario`);
  // The last run's profiles are not this one's.
  rmSync(join(outDir, 'profiles'), { recursive: true, force: true });
  const runs = new Map<ProfileTarget['side'], Map<string, SideRun>>();
  for (const t of targets) {
    if (abortReason(ctx.signal)) break;
    runs.set(t.side, await profileSide(config.profile.mode === 'off' ? 'auto' : config.profile.mode, t, scenarios, ctx, outDir));
  }
  const dir = join(outDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const out: ProfiledScenario[] = [];
  for (const sc of scenarios) {
    const sides: ProfiledSide[] = [];
    const profiles = new Map<string, StackProfile>();
    const walls = new Map<string, StackProfile>();
    for (const t of targets) {
      const r = runs.get(t.side)?.get(sc.name);
      if (!r) continue;
      if (r.wall && r.side.wall) {
        const stem = join(dir, `${slug(sc.name)}-${t.side}-wall`);
        const subtitle = `${config.name} · scenario "${sc.name}" · ${t.side} build · wall clock: ${r.wall.kind === 'node' ? "every pending wait's stack (promises, outgoing requests, connects, with the awaiting callers)" : "every thread's stack and every pending asyncio task's awaits"} that pass through the service's own code, every ${r.side.wall.intervalUs / 1000} ms`;
        writeFileSync(`${stem}.html`, flameGraphHtml({ title: `Wall clock: ${sc.name} (${t.side})`, subtitle, profile: r.wall }));
        writeFileSync(`${stem}.speedscope.json`, speedscopeJson(`${sc.name} (${t.side}, wall clock)`, r.wall));
        r.side.wall.files = { flameGraph: ctx.display(`${stem}.html`), speedscope: ctx.display(`${stem}.speedscope.json`) };
        walls.set(t.side, r.wall);
      }
      if (r.profile) {
        const stem = join(dir, `${slug(sc.name)}-${t.side}`);
        const subtitle = `${config.name} · scenario "${sc.name}" · ${t.side} build · ${r.side.profiler} · ${sampledWeight(r.profile)} samples from ${r.profile.processes} process${r.profile.processes === 1 ? '' : 'es'}`;
        writeFileSync(`${stem}.html`, flameGraphHtml({ title: `Flame graph: ${sc.name} (${t.side})`, subtitle, profile: r.profile }));
        writeFileSync(`${stem}.speedscope.json`, speedscopeJson(`${sc.name} (${t.side})`, r.profile));
        r.side.files = { flameGraph: ctx.display(`${stem}.html`), speedscope: ctx.display(`${stem}.speedscope.json`) };
        profiles.set(t.side, r.profile);
      }
      sides.push(r.side);
    }
    const base = profiles.get('base');
    const head = profiles.get('head');
    const ab = targets.length > 1;
    let diffFile: string | null = null;
    if (base && head) {
      const file = join(dir, `${slug(sc.name)}-diff.html`);
      writeFileSync(
        file,
        flameGraphHtml({
          title: `Differential flame graph: ${sc.name}`,
          subtitle: `${config.name} · scenario "${sc.name}" · the head build's stacks, coloured by the change of each call path's share of service CPU against the base build`,
          profile: head,
          base: alignLines(base, head),
        }),
      );
      diffFile = ctx.display(file);
    }
    const cpu = (s: string): number | null => sides.find((x) => x.side === s)?.measuredCpuPerRequestUs ?? null;
    const wallPerRequest = (s: string): number | null => sides.find((x) => x.side === s)?.wall?.perRequestUs ?? null;
    const baseWall = walls.get('base');
    const headWall = walls.get('head');
    out.push({
      scenario: sc.name,
      sides,
      growth: ab && base && head ? functionGrowth(base, head, cpu('base'), cpu('head')) : null,
      diffFile,
      ...(ab && baseWall && headWall ? { waits: functionGrowth(baseWall, headWall, wallPerRequest('base'), wallPerRequest('head')) } : {}),
    });
  }
  const index = join(dir, 'index.html');
  writeFileSync(index, profileIndexHtml(config.name, why, out));
  return { mode: config.profile.mode, why, scenarios: out, index: ctx.display(index) };
}

async function profileSide(
  mode: Exclude<ProfileMode, 'off'>,
  t: ProfileTarget,
  scenarios: ScenarioConfig[],
  ctx: MeasureContext,
  outDir: string,
): Promise<Map<string, SideRun>> {
  const out = new Map<string, SideRun>();
  const blank = (sc: ScenarioConfig, note: string): SideRun => ({
    side: {
      side: t.side,
      profiler: null,
      note,
      samples: 0,
      rps: null,
      referenceRps: null,
      cpuPerRequestUs: null,
      referenceCpuPerRequestUs: null,
      ...reference(t, sc.name),
      top: [],
      files: null,
    },
    profile: null,
    wall: null,
  });
  if (!t.service.command) {
    for (const sc of scenarios)
      out.set(sc.name, blank(sc, 'an external service (no command) runs outside perfgate: it cannot be profiled'));
    return out;
  }
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-profiling-'));
  const launched = await launchSystem(t.service, t.dependencies, {
    dependencyLog: dependencyLog(ctx, t.side === 'base' ? 'base-' : ''),
    shared: ctx.shared,
    labelSuffix: t.side === 'base' ? ' of the base build (profiled)' : ' (profiled)',
    appendLog: true,
    env: ctx.env,
    runId: ctx.runId,
    logFile: t.log ?? undefined,
    signal: ctx.signal,
    progress: ctx.progress,
    label: `${t.label} (profiled)`,
    extraEnv: (env) => profileEnv(dir, env),
  });
  try {
    if (launched.failure || !launched.service) {
      for (const sc of scenarios) out.set(sc.name, blank(sc, `the profiled start failed: ${launched.failure?.message ?? 'no process'}`));
      return out;
    }
    const pid = launched.service.pid;
    const stopped = new Map<RunningProfiler, Promise<Collected>>();
    const stopOnce = (r: RunningProfiler): Promise<Collected> => {
      if (!stopped.has(r)) stopped.set(r, r.stop());
      return stopped.get(r)!;
    };
    for (const sc of scenarios) {
      const cpu = new TrialResources(launched);
      let running: RunningProfiler | undefined;
      let collected: Collected = { profile: null, note: null };
      let reason: string | null = null;
      // Two trials on this start: an unprofiled reference, then the profiled one, under the same
      // conditions (the measured trials may have run as a duet, pinned beside the other build).
      let index = 0;
      const run = await withLoadPool(sc, (start) =>
        runScenario(
          launched.baseUrl,
          { ...sc, trials: 2 },
          {
            interrupt: () => abortReason(ctx.signal) ?? launched.crashed(),
            ...progressHooks(ctx.progress, sc, `profile · ${t.side} · `),
            trialBoundary: async (when, kept) => {
              const profiled = index === 1;
              if (when === 'before') {
                if (profiled) {
                  const r = await startProfiler(mode, pid, dir);
                  if ('reason' in r) reason = r.reason;
                  else running = r;
                }
                await cpu.boundary(when, kept);
              } else {
                await cpu.boundary(when, kept);
                if (profiled && running) collected = await stopOnce(running);
                index++;
              }
            },
          },
          start,
        ),
      ).catch((err: unknown) => ({ trials: [], histograms: [], windows: [], interrupted: (err as Error).message }));
      // A trial that threw never reached its end: the profiler (austin, perf) is stopped all the same.
      if (running) collected = await stopOnce(running);
      cpu.attach(run.trials);
      keepRaw(collected.raw, outDir, sc.name, t.side);
      const [unprofiled, trial] = run.trials;
      const ref = reference(t, sc.name);
      const profile = collected.profile ? relativeFiles(collected.profile, t.root) : null;
      const wall = collected.wall ? ownCodeStacks(relativeFiles(collected.wall.profile, t.root)) : null;
      const wallPerRequestUs = wall && trial?.requests ? (sampledWeight(wall) * collected.wall!.intervalUs) / trial.requests : null;
      const note = reason ?? collected.note ?? (run.interrupted ? `the profiled trial stopped: ${run.interrupted}` : null);
      out.set(sc.name, {
        side: {
          side: t.side,
          profiler: profile ? (running?.profiler ?? profile.profiler) : null,
          note,
          samples: profile ? sampledWeight(profile) : 0,
          rps: trial ? trial.rps : null,
          referenceRps: unprofiled ? unprofiled.rps : null,
          cpuPerRequestUs: trial?.serviceCpu?.perRequestUs ?? null,
          referenceCpuPerRequestUs: unprofiled?.serviceCpu?.perRequestUs ?? null,
          ...ref,
          top: profile ? hotFunctions(profile, ref.measuredCpuPerRequestUs ?? trial?.serviceCpu?.perRequestUs ?? null) : [],
          files: null,
          ...(wall
            ? {
                wall: {
                  samples: sampledWeight(wall),
                  intervalUs: collected.wall!.intervalUs,
                  perRequestUs: wallPerRequestUs,
                  top: hotFunctions(wall, wallPerRequestUs),
                  files: null,
                },
              }
            : {}),
        },
        profile,
        wall,
      });
      if (profile) ctx.progress.info(`perfgate:   ${t.side} · ${sc.name}: ${sampledWeight(profile)} samples (${running?.profiler})`);
      else ctx.progress.info(`perfgate:   ${t.side} · ${sc.name}: no profile: ${note}`);
      if (run.interrupted) break;
    }
    return out;
  } finally {
    await launched.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The measured trials' median req/s and CPU time per request: what the profiled trial is held against. */
function reference(t: ProfileTarget, scenario: string): Pick<ProfiledSide, 'measuredRps' | 'measuredCpuPerRequestUs'> {
  const trials = t.measured.find((s) => s.name === scenario)?.trials ?? [];
  const cpu = trials.map((x) => x.serviceCpu?.perRequestUs).filter((x): x is number => typeof x === 'number');
  return {
    measuredRps: trials.length ? median(trials.map((x) => x.rps)) : null,
    measuredCpuPerRequestUs: cpu.length ? median(cpu) : null,
  };
}

/** File paths under the build's root shown relative to it (the base's checkout and the head's tree alike). */
function relativeFiles(p: StackProfile, root: string): StackProfile {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return {
    ...p,
    frames: p.frames.map((f) => (f.file?.startsWith(prefix) ? { ...f, file: f.file.slice(prefix.length) } : f)),
  };
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 60) || 'scenario'
  );
}
