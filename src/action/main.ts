// The Action adapter: inputs → the gate (or, in comment mode, a result made elsewhere) → job
// summary, annotations, outputs, the sticky PR comment, and the step's status. Everything that
// decides is in gate.ts, github/ and report/; this file only wires them to the runner.
import * as core from '@actions/core';
import * as github from '@actions/github';
import { readResult } from '../util/output.js';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../util/errors.js';
import { runRun } from '../commands/run.js';
import { findShardFiles, runMerge } from '../commands/merge-shards.js';
import { runShard } from '../commands/shard.js';
import { annotationsFor, stepFails } from '../github/annotations.js';
import { upsertComment } from '../github/sticky-comment.js';
import { readInputs, type ActionInputs } from '../github/inputs.js';
import type { Progress } from '../util/progress.js';
import { commentMarker, renderComment, resolvedComment } from '../report/pr-comment.js';
import { buildView } from '../report/view.js';
import { loadTemplate } from '../report/render.js';
import type { RunResult } from '../contract/result.js';

const progress: Progress = { info: (m) => core.info(m), live: () => {} };

export async function run(): Promise<void> {
  // Every output exists in every outcome; a verdict replaces these placeholders when there is one.
  for (const [name, value] of Object.entries({
    verdict: 'error',
    'report-path': '',
    'result-path': '',
    'profile-path': '',
    regressions: '0',
    'breached-targets': '0',
    'comment-url': '',
    'shard-path': '',
  })) {
    core.setOutput(name, value);
  }
  try {
    const inputs = readInputs((name) => core.getInput(name));
    const event = process.env.GITHUB_EVENT_NAME ?? '';
    if (event === 'pull_request_target') {
      core.warning(
        'perfgate runs under pull_request_target: the service under test is code from the pull request, and this job holds a token that can write to the repository. ' +
          'For pull requests from forks use the two-workflow recipe (pull_request uploads the result, workflow_run comments); see the README.',
      );
    }
    const cwd = resolve(inputs.workingDirectory);
    if (inputs.mode === 'comment') await commentMode(inputs, cwd);
    else if (inputs.mode === 'merge') await mergeMode(inputs, cwd);
    else if (inputs.shard) await shardMode(inputs, cwd);
    else await runMode(inputs, cwd);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) core.setFailed(`perfgate: ${err.message}`);
    else core.setFailed(`perfgate: internal error (a bug in perfgate, please report it): ${(err as Error).stack ?? String(err)}`);
  }
}

async function runMode(inputs: ActionInputs, cwd: string): Promise<void> {
  const outcome = await runRun({
    config: inputs.config,
    outDir: inputs.outDir,
    cwd,
    save: inputs.saveHistory,
    overrides: { ...inputs.overrides, ...pathOverrides(inputs, cwd) },
    progress,
  });
  await publish(inputs, outcome.result, outcome.report, resolve(cwd, outcome.files.report), resolve(cwd, outcome.files.result));
}

/** The history store and template inputs, with their paths resolved against the working directory. */
function pathOverrides(inputs: ActionInputs, cwd: string): Pick<ActionInputs['overrides'], 'history' | 'template'> {
  return {
    history: inputs.overrides.history?.path
      ? { ...inputs.overrides.history, path: resolve(cwd, inputs.overrides.history.path) }
      : inputs.overrides.history,
    template: inputs.template ? resolve(cwd, inputs.template) : undefined,
  };
}

/** One matrix job of a sharded run: its share of the load, a shard file for the merge job; no verdict, no comment. */
async function shardMode(inputs: ActionInputs, cwd: string): Promise<void> {
  const outcome = await runShard({
    shard: inputs.shard!,
    startAt: inputs.startAt,
    config: inputs.config,
    outDir: inputs.outDir,
    cwd,
    progress,
  });
  core.setOutput('shard-path', outcome.file);
  core.setOutput('verdict', outcome.exitCode === 0 ? 'measured' : 'fail');
  core.info(`perfgate: shard ${outcome.shard.shard.index} of ${outcome.shard.shard.count} written to ${outcome.file}`);
  if (outcome.shard.failure) core.setFailed(`perfgate: shard ${inputs.shard}: ${outcome.shard.failure.message}`);
}

/** The merge job: every shard file found under `shards`, merged and gated like a run. */
async function mergeMode(inputs: ActionInputs, cwd: string): Promise<void> {
  const outcome = await runMerge({
    files: findShardFiles(resolve(cwd, inputs.shards)),
    config: inputs.config,
    outDir: inputs.outDir,
    cwd,
    save: inputs.saveHistory,
    overrides: pathOverrides(inputs, cwd),
    progress,
  });
  await publish(inputs, outcome.result, outcome.report, resolve(cwd, outcome.files.report), resolve(cwd, outcome.files.result));
}

/**
 * Fork-safe commenting (the `workflow_run` half of the recipe): the result comes from an artifact
 * of an untrusted run, so the report is rendered anew from result.json (the artifact's own
 * Markdown is never posted), and the comment goes only to a pull request whose head commit is
 * the one that run measured.
 */
async function commentMode(inputs: ActionInputs, cwd: string): Promise<void> {
  const file = resolve(cwd, inputs.result);
  const result = readResult(file, 'input "result"');
  const pr = result.git?.pullRequestNumber;
  if (!pr || !result.git?.sha) throw new UsageError(`input "result": ${file} does not come from a pull request run`);
  const runHead = (github.context.payload.workflow_run as { head_sha?: string } | undefined)?.head_sha;
  if (runHead && runHead !== result.git.sha) {
    throw new UsageError(`the result measured ${result.git.sha} but the workflow run was for ${runHead}; not commenting`);
  }
  if (inputs.token) {
    const { owner, repo } = github.context.repo;
    const pull = await github.getOctokit(inputs.token).rest.pulls.get({ owner, repo, pull_number: pr });
    if (pull.data.head.sha !== result.git.sha) {
      throw new UsageError(`pull request #${pr} is at ${pull.data.head.sha}, not at the measured ${result.git.sha}; not commenting`);
    }
  }
  const report = (inputs.template ? loadTemplate(resolve(cwd, inputs.template)) : loadTemplate())(buildView(result));
  await publish(inputs, result, report, null, file);
}

async function publish(inputs: ActionInputs, r: RunResult, report: string, reportPath: string | null, resultPath: string): Promise<void> {
  // Outputs first: they must exist whatever happens next.
  core.setOutput('verdict', r.verdict);
  core.setOutput('report-path', reportPath ?? '');
  core.setOutput('result-path', resultPath);
  // The flame graphs sit next to result.json: OUT/profiles/index.html.
  core.setOutput('profile-path', r.profile?.index ? join(dirname(resultPath), 'profiles', 'index.html') : '');
  core.setOutput('regressions', String(r.regression?.counts.regression ?? 0));
  core.setOutput('breached-targets', String(r.targets.filter((t) => t.status !== 'pass').length));

  try {
    await core.summary.addRaw(report, true).write();
  } catch (err) {
    core.warning(`perfgate: could not write the job summary: ${(err as Error).message}`);
  }
  for (const a of annotationsFor(r)) (a.level === 'error' ? core.error : core.warning)(a.message, { title: a.title });

  const pr = r.git?.pullRequestNumber;
  if (pr && inputs.comment !== 'never') {
    if (!inputs.token) core.warning('perfgate: no github-token, so no pull-request comment; the report is in the job summary');
    else {
      const env = process.env;
      const summaryUrl = env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
        : null;
      const marker = commentMarker(r.name);
      const { owner, repo } = github.context.repo;
      const noteworthy =
        r.verdict === 'fail' ||
        (r.regression?.counts.regression ?? 0) > 0 ||
        (r.regression?.counts.improvement ?? 0) > 0 ||
        (r.ab?.counts.regression ?? 0) > 0 ||
        (r.ab?.counts.improvement ?? 0) > 0;
      const outcome = await upsertComment(
        github.getOctokit(inputs.token),
        { owner, repo, issueNumber: pr, marker },
        {
          mode: inputs.comment,
          noteworthy,
          body: renderComment(r, buildView(r), { marker, summaryUrl }),
          resolvedBody: resolvedComment(marker, r.name, r.git?.sha ?? null, summaryUrl),
        },
      );
      if (outcome.action === 'forbidden')
        core.warning(`perfgate: ${outcome.reason}. The report is in the job summary; the step's outcome follows the gate only.`);
      else if (outcome.action === 'skipped') core.info(`perfgate: no comment: ${outcome.reason}`);
      else {
        core.info(`perfgate: comment ${outcome.action}: ${outcome.url}`);
        core.setOutput('comment-url', outcome.url);
      }
    }
  }
  if (stepFails(r, inputs.failOn)) core.setFailed(`perfgate: ${r.reason}`);
  else if (r.verdict === 'fail') core.warning(`perfgate: ${r.reason} (not failing the step: fail-on: ${inputs.failOn})`);
}
