// `perfgate run --check`: the effective config (overrides applied) read, and the targets these
// settings cannot judge listed with the reason and the setting that would make them judgeable.
// Nothing is started. Thin: the rules live in analysis/judgeable.ts.
import { resolve } from 'node:path';
import { unjudgeableLines } from '../analysis/judgeable.js';
import { loadConfig } from '../config/load.js';
import { applyOverrides, type ConfigOverrides } from '../config/overrides.js';

export interface CheckOptions {
  config: string;
  overrides?: ConfigOverrides;
  cwd?: string;
}

export function runCheck(opts: CheckOptions): { targets: number; problems: string[] } {
  const config = applyOverrides(loadConfig(resolve(opts.cwd ?? process.cwd(), opts.config)), opts.overrides);
  return { targets: config.targets.length, problems: unjudgeableLines(config) };
}
