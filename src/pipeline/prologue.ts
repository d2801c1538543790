// What every command that runs or gates does first, once and the same way: the config read with
// the overrides applied (and reshaped for a shard), the report template loaded, the open-file
// limit checked against the most connections any step will open (ramp levels included), and the
// output directory made. Everything that can fail before a service starts fails here (exit 2).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { applyOverrides, type ConfigOverrides } from '../config/overrides.js';
import type { Config } from '../config/types.js';
import { fdProblem, readFdLimit } from '../load/fd-limit.js';
import { loadTemplate, type ReportTemplate } from '../report/render.js';
import { UsageError } from '../util/errors.js';
import { silentProgress, type Progress } from '../util/progress.js';

export interface PrologueOptions {
  config: string;
  overrides?: ConfigOverrides;
  outDir: string;
  cwd?: string;
  progress?: Progress;
}

export interface Prologue {
  cwd: string;
  progress: Progress;
  config: Config;
  template: ReportTemplate;
  outDir: string;
}

/**
 * `shape` turns the config into the one that will run (a shard's share); `sendsLoad: false` for
 * commands that open no connections (merge), which skip the open-file check.
 */
export function prologue(opts: PrologueOptions, how: { shape?: (c: Config) => Config; sendsLoad?: boolean } = {}): Prologue {
  const cwd = opts.cwd ?? process.cwd();
  const loaded = applyOverrides(loadConfig(resolve(cwd, opts.config)), opts.overrides);
  const config = how.shape ? how.shape(loaded) : loaded;
  const template = reportTemplate(config);
  if (how.sendsLoad !== false) {
    const fd = fdProblem(mostConnections(config), readFdLimit());
    if (fd) throw new UsageError(fd);
  }
  const outDir = resolve(cwd, opts.outDir);
  mkdirSync(outDir, { recursive: true });
  return { cwd, progress: opts.progress ?? silentProgress, config, template, outDir };
}

/** The most connections any trial or ramp step of the config opens at once. */
export function mostConnections(config: Pick<Config, 'scenarios'>): number {
  return Math.max(0, ...config.scenarios.map((s) => (s.ramp?.by === 'connections' ? Math.max(...s.ramp.levels) : s.connections)));
}

/** The report template of a config (its own, or the bundled one); a broken one is a usage error. */
export function reportTemplate(config: Config): ReportTemplate {
  try {
    return config.report.template ? loadTemplate(config.report.template) : loadTemplate();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
