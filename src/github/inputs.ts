// The Action's inputs, read and checked once. A bad value is a usage error naming the input.
import { parseOverrides, type ConfigOverrides } from '../config/overrides.js';
import type { HistoryConfig } from '../config/types.js';
import { UsageError } from '../util/errors.js';
import type { FailOn } from './annotations.js';

export interface ActionInputs {
  mode: 'run' | 'comment' | 'merge';
  /** mode run: measure only this share of the load ("2/4") and write a shard file. */
  shard: string | undefined;
  /** With `shard`: an ISO-8601 time to wait for, so that the matrix jobs load together. */
  startAt: string | undefined;
  /** mode merge: the directory holding the shard files (searched one level deep). */
  shards: string;
  config: string;
  workingDirectory: string;
  token: string;
  comment: 'always' | 'on-change' | 'never';
  saveHistory: boolean | undefined;
  failOn: FailOn;
  outDir: string;
  /** comment mode: the result.json of a run made elsewhere (a fork's pull_request workflow). */
  result: string;
  overrides: ConfigOverrides;
  template: string | undefined;
}

type Get = (name: string) => string;

function oneOf<T extends string>(get: Get, name: string, allowed: readonly T[], fallback: T): T {
  const v = get(name).trim() || fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`input "${name}" must be one of ${allowed.join(', ')}; got "${v}"`);
  return v as T;
}

/** `git` | `git:<branch>` | `dir:<path>` | `none` | `config` (what the config file says). */
export function parseHistorySpec(spec: string): Partial<HistoryConfig> | undefined {
  const s = spec.trim();
  if (s === 'config') return undefined;
  if (s === 'none') return { store: 'none' };
  if (s === 'git') return { store: 'git', branch: 'perfgate-data' };
  const git = /^git:([\w./-]+)$/.exec(s);
  if (git) return { store: 'git', branch: git[1]! };
  const dir = /^dir:(.+)$/.exec(s);
  if (dir) return { store: 'dir', path: dir[1]! };
  throw new UsageError(`input "history" must be git, git:<branch>, dir:<path>, none or config; got "${spec}"`);
}

export function readInputs(get: Get): ActionInputs {
  const save = oneOf(get, 'save-history', ['auto', 'true', 'false'] as const, 'auto');
  const history = parseHistorySpec(get('history') || 'git:perfgate-data');
  return {
    mode: oneOf(get, 'mode', ['run', 'comment', 'merge'] as const, 'run'),
    shard: get('shard').trim() || undefined,
    startAt: get('start-at').trim() || undefined,
    shards: get('shards').trim() || '.perfgate/shards',
    config: get('config').trim() || 'perfgate.yml',
    workingDirectory: get('working-directory').trim() || '.',
    token: get('github-token').trim(),
    comment: oneOf(get, 'comment', ['always', 'on-change', 'never'] as const, 'always'),
    saveHistory: save === 'auto' ? undefined : save === 'true',
    failOn: oneOf(get, 'fail-on', ['targets', 'regressions', 'both', 'none'] as const, 'both'),
    outDir: get('out-dir').trim() || '.perfgate',
    result: get('result').trim() || '.perfgate/result.json',
    overrides: {
      ...parseOverrides(
        {
          duration: get('duration'),
          connections: get('connections'),
          trials: get('trials'),
          unjudgeable: get('unjudgeable'),
          profile: get('profile'),
        },
        (name) => `input "${name}"`,
      ),
      ...(history ? { history } : {}),
    },
    template: get('template').trim() || undefined,
  };
}
