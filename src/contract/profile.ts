// The profiled trial's part of a RunResult: which profiler ran on which build, what it cost, the
// hottest functions per request and, in A/B mode, the functions whose share of service CPU grew.
// The stacks themselves are in the flame graph and speedscope files, not here.

export type ProfileMode = 'auto' | 'off' | 'node' | 'python' | 'perf';
export type ProfilerKind = 'node' | 'python' | 'perf';

/** A function as the profiler names it: file and line where the profiler gives them. */
export interface ProfileFrame {
  name: string;
  file: string | null;
  line: number | null;
}

/** Call stacks (root first, indexes into frames) with their sample counts (or weights). */
export interface StackProfile {
  kind: ProfilerKind;
  /** The tool that sampled: "V8 CPU profiler", "austin 1.0.1", "perfgate's Python sampler", "perf 6.1". */
  profiler: string;
  frames: ProfileFrame[];
  stacks: { frames: number[]; weight: number }[];
  /** Weight of samples where the service was idle (V8's "(idle)"): outside every share. */
  idle: number;
  /** Processes whose profile was merged. */
  processes: number;
}

export interface HotFunction extends ProfileFrame {
  /**
   * For a function outside the service's own code (native, the runtime's, a library's): the
   * nearest caller in its own code that most of its samples came through; null otherwise.
   */
  calledFrom: ProfileFrame | null;
  /** Share of the service's sampled CPU in the function itself (0–1). */
  selfShare: number;
  /** Share in the function and everything it called (0–1). */
  totalShare: number;
  /** Self and total time per request (µs): share × the measured CPU time per request; null without it. */
  selfUs: number | null;
  totalUs: number | null;
}

export interface FunctionGrowth extends ProfileFrame {
  /** As in HotFunction, from the head's profile. */
  calledFrom: ProfileFrame | null;
  baseSelfShare: number;
  headSelfShare: number;
  baseTotalShare: number;
  headTotalShare: number;
  /** Self time per request, head minus base (µs); null without CPU time per request on both sides. */
  selfUsDelta: number | null;
  baseSelfUs: number | null;
  headSelfUs: number | null;
}

export interface ProfiledSide {
  side: 'head' | 'base';
  /** The profiler that ran, or null when none could. */
  profiler: string | null;
  /** Why none ran, or what was tried first (austin could not read this interpreter …). */
  note: string | null;
  samples: number;
  /**
   * Requests per second of the profiled trial, of the unprofiled trial run just before it on the
   * same start (the profiler's cost is the difference), and the median of the measured trials.
   */
  rps: number | null;
  referenceRps: number | null;
  measuredRps: number | null;
  /** The service's CPU time per request (µs): profiled trial, unprofiled reference trial, median of the measured ones (what shares scale by). */
  cpuPerRequestUs: number | null;
  referenceCpuPerRequestUs: number | null;
  measuredCpuPerRequestUs: number | null;
  top: HotFunction[];
  /** Written files, relative to the out dir's parent as result.json shows paths. */
  files: { flameGraph: string; speedscope: string } | null;
  /**
   * Where requests spend wall time, running or waiting (the Python sampler: every thread's stack
   * and every pending asyncio task's awaits; the Node.js agent: every pending wait's stack, its
   * awaiting callers included; sampled every intervalUs); absent or null where the
   * profiler has no such view. Shares are of all sampled wall time; times are per request.
   */
  wall?: WallView | null;
}

export interface WallView {
  samples: number;
  intervalUs: number;
  /** All sampled wall time of the service's threads and tasks in the profiled trial, per request (µs). */
  perRequestUs: number | null;
  /** The functions with the most self wall time (the frame a thread or task was in when sampled). */
  top: HotFunction[];
  files: { flameGraph: string; speedscope: string } | null;
}

export interface ProfiledScenario {
  scenario: string;
  sides: ProfiledSide[];
  /** A/B: the functions whose self time grew most, head against base; null in a plain run. */
  growth: FunctionGrowth[] | null;
  /** A/B: the differential flame graph (head's stacks, coloured by growth against the base). */
  diffFile: string | null;
  /**
   * A/B, where both builds have a wall-clock view: the functions whose self wall time per request
   * grew most (where requests wait longer), beyond sampling noise; absent or null otherwise.
   */
  waits?: FunctionGrowth[] | null;
}

export interface ProfileResult {
  /** The configured profiler choice. */
  mode: ProfileMode;
  /** Why this run was profiled: "asked for (--profile)", "the A/B gate failed: a regression needs explaining". */
  why: string;
  scenarios: ProfiledScenario[];
  /** An index page linking every flame graph and speedscope file. */
  index: string | null;
}
