import { describe, expect, it } from 'vitest';
import { parseHistorySpec, readInputs } from '../../../src/github/inputs.js';
import { parseOverrides } from '../../../src/config/overrides.js';

describe('Action inputs', () => {
  const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('defaults: git data branch history, comment always, fail on both', () => {
    const i = readInputs(get({}));
    expect(i).toMatchObject({
      mode: 'run',
      config: 'perfgate.yml',
      comment: 'always',
      failOn: 'both',
      saveHistory: undefined,
      outDir: '.perfgate',
    });
    expect(i.overrides.history).toEqual({ store: 'git', branch: 'perfgate-data' });
  });

  it('dispatch overrides and history specs', () => {
    const i = readInputs(get({ duration: '10s', connections: '50', trials: '3', history: 'dir:perf/history', 'save-history': 'true' }));
    expect(i.overrides).toMatchObject({ durationMs: 10_000, connections: 50, trials: 3, history: { store: 'dir', path: 'perf/history' } });
    expect(i.saveHistory).toBe(true);
    expect(parseHistorySpec('config')).toBeUndefined();
    expect(parseHistorySpec('git:perf-data')).toEqual({ store: 'git', branch: 'perf-data' });
    expect(parseHistorySpec('none')).toEqual({ store: 'none' });
  });

  it('bad values name the input', () => {
    expect(() => readInputs(get({ comment: 'sometimes' }))).toThrow(
      'input "comment" must be one of always, on-change, never; got "sometimes"',
    );
    expect(() => readInputs(get({ duration: '10' }))).toThrow('input "duration" must be a duration');
    expect(() => readInputs(get({ trials: '0' }))).toThrow('input "trials" must be a whole number of at least 1');
    expect(() => readInputs(get({ unjudgeable: 'maybe' }))).toThrow('input "unjudgeable" must be fail or warn; got "maybe"');
    expect(readInputs(get({ duration: '2s', trials: '3', unjudgeable: 'warn' })).overrides).toMatchObject({
      durationMs: 2000,
      trials: 3,
      unjudgeable: 'warn',
    });
    // The CLI reads the same overrides through the same parser, naming its flags.
    expect(() => parseOverrides({ connections: 'many' }, (n) => `--${n}`)).toThrow(
      '--connections must be a whole number of at least 1; got "many"',
    );
    expect(() => readInputs(get({ history: 's3://x' }))).toThrow('input "history" must be git');
  });

  it('profile: "on" asks for this run to be profiled; a profiler name replaces the config\'s choice', () => {
    expect(readInputs(get({ profile: 'on' })).overrides.profile).toEqual({ requested: true });
    expect(readInputs(get({ profile: 'python' })).overrides.profile).toEqual({ mode: 'python' });
    expect(readInputs(get({})).overrides.profile).toBeUndefined();
    expect(() => readInputs(get({ profile: 'yes' }))).toThrow('input "profile" must be on, auto, off, node, python or perf; got "yes"');
  });
});
