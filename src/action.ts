// The Action adapter: inputs → gate options; outputs; step status. The GitHub side (summary,
// sticky comment, history) comes with later work; this runs the same pipeline as the CLI.
import * as core from '@actions/core';
import { resolve } from 'node:path';
import { ConfigError, UsageError } from './errors.js';
import { runGate } from './gate.js';
import type { Progress } from './progress.js';

export async function run(): Promise<void> {
  try {
    const cwd = resolve(core.getInput('working-directory') || '.');
    const progress: Progress = { info: (m) => core.info(m), live: () => {} };
    const outcome = await runGate({
      config: core.getInput('config') || 'perfgate.yml',
      outDir: core.getInput('out-dir') || '.perfgate',
      cwd,
      progress,
    });
    const r = outcome.result;
    core.setOutput('verdict', r.verdict);
    core.setOutput('report-path', outcome.files.report);
    core.setOutput('result-path', outcome.files.result);
    core.setOutput('breached-targets', r.targets.filter((t) => t.status !== 'pass').length);
    if (r.verdict !== 'pass') core.setFailed(`perfgate: ${r.reason}`);
  } catch (err) {
    core.setOutput('verdict', 'error');
    if (err instanceof ConfigError || err instanceof UsageError) core.setFailed(`perfgate: ${err.message}`);
    else core.setFailed(`perfgate: internal error: ${(err as Error).stack ?? String(err)}`);
  }
}
