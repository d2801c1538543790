// Overrides from the command line or the Action's inputs, applied on top of a loaded config.
// Pure. Overrides that change the load also change the fingerprint, so such runs are compared
// only with runs made with the same overrides.
import type { Config, HistoryConfig } from './types.js';
import { parseDuration } from './units.js';
import { UsageError } from '../util/errors.js';
import type { ProfileMode } from '../contract/profile.js';

export interface ConfigOverrides {
  durationMs?: number;
  connections?: number;
  trials?: number;
  history?: Partial<HistoryConfig>;
  /** A report template (absolute path) replacing the config's. */
  template?: string;
  /** What a target the settings cannot judge does (a quick manual run may choose warn). */
  unjudgeable?: 'fail' | 'warn';
  /** The profiler choice, and whether this run is profiled whatever the config says (`--profile`). */
  profile?: { mode?: ProfileMode; requested?: boolean };
}

export function applyOverrides(config: Config, o: ConfigOverrides = {}): Config {
  return {
    ...config,
    scenarios: config.scenarios.map((s) => {
      const connections = o.connections ?? s.connections;
      return {
        ...s,
        durationMs: o.durationMs ?? s.durationMs,
        trials: o.trials ?? s.trials,
        connections,
        // An open-model rate stays at least one request per connection per second.
        rate: s.rate === undefined ? undefined : Math.max(s.rate, connections),
      };
    }),
    history: { ...config.history, ...o.history },
    unjudgeable: o.unjudgeable ?? config.unjudgeable,
    profile: {
      mode: o.profile?.mode ?? config.profile.mode,
      requested: o.profile?.requested ?? config.profile.requested,
    },
    report: o.template ? { ...config.report, template: o.template } : config.report,
  };
}

/** The load overrides as given in text (CLI flags, Action inputs); empty is absent. */
export interface OverrideTexts {
  duration?: string;
  connections?: string;
  trials?: string;
  unjudgeable?: string;
  /** auto, off, node, python, perf: the profiler choice; on: profile this run. */
  profile?: string;
}

/**
 * The load overrides checked and parsed, the same way for the CLI and the Action; `label` names
 * each one in messages (`--trials`, `input "trials"`).
 */
export function parseOverrides(text: OverrideTexts, label: (name: keyof OverrideTexts) => string): ConfigOverrides {
  const given = (name: keyof OverrideTexts): string | undefined => text[name]?.trim() || undefined;
  const count = (name: 'connections' | 'trials'): number | undefined => {
    const v = given(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${label(name)} must be a whole number of at least 1; got "${v}"`);
    return n;
  };
  const duration = given('duration');
  const durationMs = duration === undefined ? undefined : parseDuration(duration);
  if (duration !== undefined && !durationMs)
    throw new UsageError(`${label('duration')} must be a duration such as 10s or 500ms; got "${duration}"`);
  const unjudgeable = given('unjudgeable');
  if (unjudgeable !== undefined && unjudgeable !== 'fail' && unjudgeable !== 'warn')
    throw new UsageError(`${label('unjudgeable')} must be fail or warn; got "${unjudgeable}"`);
  const profileText = given('profile');
  const modes = ['auto', 'off', 'node', 'python', 'perf'];
  if (profileText !== undefined && profileText !== 'on' && !modes.includes(profileText))
    throw new UsageError(`${label('profile')} must be on, auto, off, node, python or perf; got "${profileText}"`);
  const connections = count('connections');
  const trials = count('trials');
  return {
    ...(durationMs ? { durationMs } : {}),
    ...(connections ? { connections } : {}),
    ...(trials ? { trials } : {}),
    ...(unjudgeable ? { unjudgeable } : {}),
    ...(profileText === 'on' ? { profile: { requested: true } } : profileText ? { profile: { mode: profileText as ProfileMode } } : {}),
  };
}
