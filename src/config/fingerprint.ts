// What makes two runs comparable: a hash of everything that changes the measurement
// (scenarios, load settings, the service command), not of targets, names or report options.
import { createHash } from 'node:crypto';
import { loadSettings } from './settings.js';
import type { Config } from './types.js';

export function configFingerprint(config: Pick<Config, 'service' | 'scenarios'>): string {
  const material = {
    command: config.service.command ?? null,
    external: config.service.command ? null : config.service.url,
    env: config.service.env,
    scenarios: config.scenarios.map((s) => ({
      name: s.name,
      kind: s.kind,
      ...loadSettings(s),
      steps: s.steps.map((st) => ({
        method: st.method,
        path: st.path,
        headers: st.headers,
        body: st.body ?? null,
        json: st.json ?? null,
        capture: st.capture,
      })),
      // The open model sends on a schedule since perfgate's own load engine (before: each second's quota
      // at once), so its runs start a history of their own; closed-model fingerprints are unchanged.
      ...(s.rate !== undefined || s.ramp?.by === 'rate' ? { openModel: 'scheduled' } : {}),
      // Added only when present, so that fingerprints of configs without ramps stay as they were.
      ...(s.ramp ? { ramp: { by: s.ramp.by, levels: s.ramp.levels, stepMs: s.ramp.stepMs, stop: s.ramp.stop } } : {}),
    })),
  };
  return createHash('sha256').update(canonical(material)).digest('hex').slice(0, 16);
}

/** JSON with sorted keys, so that the hash does not depend on key order in the YAML. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
