// The Action's bundle run as a runner runs it: `node dist/index.js` with INPUT_* and GITHUB_*
// variables, event payloads on disk, the job summary and output files, and GITHUB_API_URL
// pointing at a local emulator of the REST API that the real Octokit client talks to.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig, newMarker, processesWithMarker, REPO, tempDir } from '../helpers.js';
import { parseOutputs, startFakeGitHub, type FakeGitHub } from '../github-api.js';
import { freePort } from '../../src/service/port.js';

const ACTION = join(REPO, 'dist', 'index.js');
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

interface Workspace {
  root: string;
  bare: string;
  repo: string;
  sha: string;
}

/** A bare `origin` and a checkout of it holding perfgate.yml, as actions/checkout leaves it. */
function workspace(configYaml: string): Workspace {
  const root = tempDir('perfgate-action-');
  const bare = join(root, 'origin.git');
  const repo = join(root, 'work');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  git(root, 'init', '-q', '-b', 'main', repo);
  writeFileSync(join(repo, 'perfgate.yml'), configYaml);
  git(repo, 'add', '.');
  git(repo, '-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'add gate');
  git(repo, 'remote', 'add', 'origin', bare);
  git(repo, 'push', '-q', 'origin', 'main');
  return { root, bare, repo, sha: git(repo, 'rev-parse', 'HEAD') };
}

interface ActionRun {
  code: number | null;
  stdout: string;
  summary: string;
  outputs: Record<string, string>;
}

async function runAction(
  ws: Workspace,
  api: FakeGitHub,
  event: string,
  payload: object,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<ActionRun> {
  const dir = tempDir('perfgate-runner-');
  const files = { event: join(dir, 'event.json'), summary: join(dir, 'summary.md'), output: join(dir, 'output.txt') };
  writeFileSync(files.event, JSON.stringify(payload));
  writeFileSync(files.summary, '');
  writeFileSync(files.output, '');
  const pr = event === 'pull_request' || event === 'pull_request_target';
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_') && !k.startsWith('INPUT_')));
  const childEnv: NodeJS.ProcessEnv = {
    ...base,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_REF: pr ? 'refs/pull/7/merge' : 'refs/heads/main',
    GITHUB_SHA: ws.sha,
    ...(pr ? { GITHUB_HEAD_REF: 'feature', GITHUB_BASE_REF: 'main' } : {}),
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_OUTPUT: files.output,
    GITHUB_API_URL: api.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_WORKSPACE: ws.repo,
    'INPUT_WORKING-DIRECTORY': ws.repo,
    'INPUT_GITHUB-TOKEN': 'ghs_fake_token',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...env,
  };
  const child = spawn(process.execPath, [ACTION], { cwd: ws.repo, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, stdout, summary: readFileSync(files.summary, 'utf8'), outputs: parseOutputs(readFileSync(files.output, 'utf8')) };
}

const prPayload = (sha: string) => ({
  action: 'synchronize',
  number: 7,
  pull_request: { number: 7, head: { sha, ref: 'feature' }, base: { ref: 'main' } },
  repository: { name: 'shop', owner: { login: 'acme' }, default_branch: 'main' },
});
const pushPayload = (sha: string) => ({
  ref: 'refs/heads/main',
  after: sha,
  repository: { name: 'shop', owner: { login: 'acme' }, default_branch: 'main' },
});

const dataBranchFiles = (bare: string): string[] => {
  try {
    return git(bare, 'ls-tree', '-r', '--name-only', 'perfgate-data').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

let api: FakeGitHub;
beforeAll(async () => {
  api = await startFakeGitHub('acme', 'shop');
});
afterAll(async () => {
  await api.close();
});

describe('the Action on pull_request with baseline.ref: auto (zero-config A/B)', () => {
  it('measures the PR against its base commit, checked out by perfgate, and comments once with the A/B result', async () => {
    const ws = workspace(
      demoConfig({
        targets: ['rate(errors) < 1%'],
        trials: 1,
        duration: '400ms',
        // Three pairs at one look: at the default α 0.05 a same build fails in up to 5 % of runs by
        // design (one did beside a CPU-bound neighbour: p50 +7.3 %, its interval from 1 degree of
        // freedom); this test is about the comment, so its gate asks for far stronger evidence.
        extra: 'baseline: { ref: auto }\nab: { min-trials: 3, max-trials: 3, step: 1 }\nregression: { alpha: 0.001 }\n',
      }),
    );
    // The pull request's head: a second commit on top of the base.
    writeFileSync(join(ws.repo, 'NOTES.md'), 'a change\n');
    git(ws.repo, 'add', '.');
    git(ws.repo, '-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'feature');
    const head = git(ws.repo, 'rev-parse', 'HEAD');
    api.comments.set(8, []);
    const payload = {
      ...prPayload(head),
      number: 8,
      pull_request: { number: 8, head: { sha: head, ref: 'feature' }, base: { ref: 'main', sha: ws.sha } },
    };
    // profile: on: both builds profiled although the gate passes.
    const r = await runAction({ ...ws, sha: head }, api, 'pull_request', payload, { profile: 'on' });
    expect(r.code, r.stdout).toBe(0);
    const ours = api.comments.get(8)!.filter((c) => c.body.startsWith('<!-- perfgate:'));
    expect(ours).toHaveLength(1);
    // The short comment names the base commit, the trials per side and why sampling stopped; the
    // job summary keeps the whole A/B section.
    expect(ours[0]!.body).toMatch(
      new RegExp(
        `\\*\\*A/B against the base build \`${ws.sha.slice(0, 7)}\`\\*\\* \\(duet: both builds loaded at the same time, pinned to the same CPU; gating: [^)]+\\): 3 pairs; `,
      ),
    );
    expect(ours[0]!.body).toMatch(/Sampling stopped because /);
    expect(ours[0]!.body).toContain('<summary>All ');
    // Where the time went: the comment's headline, the flame graphs in the out dir (the artifact).
    expect(ours[0]!.body).toContain(
      '**Where the time went** (profiled on both builds: asked for (perfgate run --profile, or the Action input profile: on))',
    );
    // The same code on both sides: no function's growth beyond sampling noise, or (rarely, a
    // share at the edge of the noise floor) whichever grew most, named with its own-code caller.
    expect(ours[0]!.body).toMatch(
      /\n- products: (no function's self time grew beyond sampling noise\.|`[^`]+` in `[^`]+`(, called from `[^`]+` in `[^`]+`)?: )/,
    );
    expect(r.outputs['profile-path']).toBe(join(ws.repo, '.perfgate', 'profiles', 'index.html'));
    expect(existsSync(r.outputs['profile-path']!)).toBe(true);
    expect(existsSync(join(ws.repo, '.perfgate', 'profiles', 'products-diff.html'))).toBe(true);
    expect(git(ws.repo, 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(git(ws.repo, 'rev-parse', 'HEAD')).toBe(head);
    api.calls.length = 0;
  });
});

describe('the Action on pull_request', () => {
  const marker = newMarker();
  const ws = workspace(demoConfig({ targets: ['rate(errors) < 1%', 'p(95) < 2s'], env: marker }));
  let first: ActionRun;

  it('first run: one comment created (found across pages next time), summary, outputs, exit 0', async () => {
    // 120 earlier comments: perfgate's will land on page 2 of the API's listing.
    api.comments.set(
      7,
      Array.from({ length: 120 }, (_, i) => ({
        id: i + 1,
        body: `review comment ${i}`,
        user: { login: 'dev', type: 'User' },
        html_url: '',
      })),
    );
    api.calls.length = 0; // only this run's calls, whatever an earlier test left
    first = await runAction(ws, api, 'pull_request', prPayload(ws.sha));
    expect(first.code, first.stdout).toBe(0);
    const posts = api.calls.filter((c) => c.method === 'POST');
    expect(posts).toHaveLength(1);
    const ours = api.comments.get(7)!.filter((c) => c.body.startsWith('<!-- perfgate:test%2Dgate -->'));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toContain('### ✅ PASSED: perfgate · test-gate');
    expect(ours[0]!.body).toContain('[job summary](https://github.com/acme/shop/actions/runs/4242)');
    expect(ours[0]!.body.length).toBeLessThan(first.summary.length / 3);
    expect(first.summary).toContain('# test-gate: Performance Gate Report');
    expect(first.summary).toContain('| Error rate | `rate(errors) < 1%` | 0 % | ✅ MET |');
    expect(first.outputs).toMatchObject({ verdict: 'pass', regressions: '0', 'breached-targets': '0' });
    expect(first.outputs['result-path']).toBe(join(ws.repo, '.perfgate', 'result.json'));
    expect(first.outputs['comment-url']).toMatch(/#issuecomment-\d+$/);
    // Said out loud, never a silent pass:
    // (the runner protocol escapes ':' and '%' in properties and '%' in messages)
    expect(first.stdout).toMatch(/::warning title=perfgate%3A insufficient baseline::(\d) of \1 gating comparisons had fewer than 5/);
    expect(first.stdout).toContain('pull-request runs never write history');
    expect(processesWithMarker(marker.PERFGATE_TEST_MARKER)).toEqual([]);
    const result = JSON.parse(readFileSync(first.outputs['result-path']!, 'utf8')) as { git: { pullRequestNumber: number; sha: string } };
    expect(result.git).toMatchObject({ pullRequestNumber: 7, sha: ws.sha });
  });

  it('second run: the same comment is updated in place (pagination followed), no new one', async () => {
    const id = api.comments.get(7)!.find((c) => c.body.startsWith('<!-- perfgate:'))!.id;
    api.calls.length = 0;
    const second = await runAction(ws, api, 'pull_request', prPayload(ws.sha));
    expect(second.code, second.stdout).toBe(0);
    expect(api.calls.filter((c) => c.method === 'GET' && c.path.includes('/issues/7/comments')).map((c) => c.path)).toEqual([
      '/repos/acme/shop/issues/7/comments?per_page=100',
      '/repos/acme/shop/issues/7/comments?per_page=100&page=2',
    ]);
    expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    expect(api.calls.filter((c) => c.method === 'PATCH').map((c) => c.path)).toEqual([`/repos/acme/shop/issues/comments/${id}`]);
    expect(api.comments.get(7)!.filter((c) => c.body.startsWith('<!-- perfgate:'))).toHaveLength(1);
  });

  it('a PR run never writes history, even with save-history: true', async () => {
    const r = await runAction(ws, api, 'pull_request', prPayload(ws.sha), { 'save-history': 'true' });
    expect(r.code, r.stdout).toBe(0);
    expect(dataBranchFiles(ws.bare)).toEqual([]);
  });

  it('a token that cannot comment (fork PR, 403): warning, report still in the summary, outcome by the gate only', async () => {
    api.forbidWrites = true;
    try {
      const fork = workspace(demoConfig({ targets: ['rate(errors) < 1%'] }));
      const r = await runAction(fork, api, 'pull_request', {
        ...prPayload(fork.sha),
        number: 8,
        pull_request: { ...prPayload(fork.sha).pull_request, number: 8 },
      });
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toMatch(
        /::warning::perfgate: the token cannot comment on this pull request \(HTTP 403: Resource not accessible by integration/,
      );
      expect(r.summary).toContain('Performance Gate Report');
      expect(r.outputs.verdict).toBe('pass');
    } finally {
      api.forbidWrites = false;
    }
  });

  it('a failing gate fails the step, with an error annotation per breached target', async () => {
    const r = await runAction(ws, api, 'pull_request', prPayload(ws.sha), {}, { ERROR_RATE: '0.2' });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ verdict: 'fail', 'breached-targets': '1' });
    expect(r.stdout).toMatch(
      /::error title=perfgate%3A target breached::Error rate: rate\(errors\) < 1%25, measured (19\.9\d|2\d(\.\d+)?) %25/,
    );
    expect(r.stdout).toMatch(/::error::perfgate: 1 of 2 targets breached/);
    // fail-on: none keeps the verdict but not the red step.
    const lenient = await runAction(ws, api, 'pull_request', prPayload(ws.sha), { 'fail-on': 'none' }, { ERROR_RATE: '0.2' });
    expect(lenient.code).toBe(0);
    expect(lenient.outputs.verdict).toBe('fail');
  });

  it('pull_request_target warns about running untrusted code with a write token', async () => {
    const r = await runAction(ws, api, 'pull_request_target', prPayload(ws.sha), { comment: 'never' });
    expect(r.stdout).toMatch(/::warning::perfgate runs under pull_request_target: the service under test is code from the pull request/);
  });

  it('a bad input fails the step with verdict "error" and names the input', async () => {
    const r = await runAction(ws, api, 'pull_request', prPayload(ws.sha), { 'fail-on': 'sometimes' });
    expect(r.code).toBe(1);
    expect(r.outputs).toEqual({
      verdict: 'error',
      'report-path': '',
      'result-path': '',
      'profile-path': '',
      regressions: '0',
      'breached-targets': '0',
      'comment-url': '',
      'shard-path': '',
    });
    expect(r.stdout).toContain('::error::perfgate: input "fail-on" must be one of targets, regressions, both, none; got "sometimes"');
  });
});

describe('the Action on the default branch', () => {
  it('push writes history to the git data branch on origin, as github-actions[bot]', async () => {
    const ws = workspace(demoConfig({ targets: ['rate(errors) < 1%'] }));
    // profile: on: the run's flame graph is published next to the dashboard, which links it.
    const r = await runAction(ws, api, 'push', pushPayload(ws.sha), { profile: 'on' });
    expect(r.code, r.stdout).toBe(0);
    const files = dataBranchFiles(ws.bare);
    expect(files.filter((f) => f.startsWith('runs/'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('runs/'))[0]).toMatch(/^runs\/.*\.json$/);
    // The trend dashboard sits next to the runs, for GitHub Pages, and the report links it.
    expect(files).toContain('dashboard/index.html');
    const dashboard = git(ws.bare, 'show', 'perfgate-data:dashboard/index.html');
    expect(dashboard).toContain('<script id="perfgate-data" type="application/json">');
    const id = /^runs\/(.*)\.json$/.exec(files.find((f) => f.startsWith('runs/'))!)![1]!;
    expect(files).toContain(`dashboard/profiles/${id}/products-head.html`);
    expect(git(ws.bare, 'show', `perfgate-data:dashboard/profiles/${id}/products-head.html`)).toContain('<svg id="flame"');
    expect(dashboard).toContain(`"profiles":[{"scenario":"products","page":"profiles/${id}/products-head.html"}]`);
    expect(r.summary).toContain('Trend dashboard: `perfgate-data:dashboard/index.html`');
    expect(git(ws.bare, 'log', '-1', '--format=%an', 'perfgate-data')).toBe('github-actions[bot]');
    expect(r.stdout).toContain('saved: a run of the default branch (main)');
    // A manual run with overrides does not save unless asked, and says so.
    const manual = await runAction(
      ws,
      api,
      'workflow_dispatch',
      { inputs: {}, repository: { default_branch: 'main' } },
      { duration: '500ms', trials: '1' },
    );
    expect(manual.code, manual.stdout).toBe(0);
    expect(manual.stdout).toContain('manual runs are saved only when asked');
    expect(dataBranchFiles(ws.bare).filter((f) => f.startsWith('runs/'))).toHaveLength(1);
    const result = JSON.parse(readFileSync(manual.outputs['result-path']!, 'utf8')) as {
      scenarios: { settings: { durationMs: number; trials: number } }[];
    };
    expect(result.scenarios[0]!.settings).toMatchObject({ durationMs: 500, trials: 1 });
  });
});

describe('comment: on-change', () => {
  it('quiet while nothing is wrong, comments when a target fails, marks it resolved when it clears', async () => {
    const ws = workspace(demoConfig({ targets: ['rate(errors) < 1%'] }));
    const issue = 9;
    const payload = { ...prPayload(ws.sha), number: issue, pull_request: { ...prPayload(ws.sha).pull_request, number: issue } };
    const quiet = await runAction(ws, api, 'pull_request', payload, { comment: 'on-change' });
    expect(quiet.code, quiet.stdout).toBe(0);
    expect(api.comments.get(issue) ?? []).toHaveLength(0);
    const broken = await runAction(ws, api, 'pull_request', payload, { comment: 'on-change' }, { ERROR_RATE: '0.2' });
    expect(broken.code).toBe(1);
    expect(api.comments.get(issue)).toHaveLength(1);
    expect(api.comments.get(issue)![0]!.body).toContain('❌ BREACHED');
    const fixed = await runAction(ws, api, 'pull_request', payload, { comment: 'on-change' });
    expect(fixed.code).toBe(0);
    expect(api.comments.get(issue)).toHaveLength(1);
    expect(api.comments.get(issue)![0]!.body).toMatch(/### ✅ perfgate \(.*\): resolved/);
  });
});

describe('fork-safe commenting (mode: comment under workflow_run)', () => {
  it('re-renders the report from result.json and comments only on a PR at the measured commit', async () => {
    const ws = workspace(demoConfig({ targets: ['rate(errors) < 1%'] }));
    const measured = await runAction(
      ws,
      api,
      'pull_request',
      { ...prPayload(ws.sha), number: 11, pull_request: { ...prPayload(ws.sha).pull_request, number: 11 } },
      { comment: 'never' },
    );
    expect(measured.code, measured.stdout).toBe(0);
    // The untrusted run's artifact: its report.md is ignored; a tampered name in result.json is escaped.
    const resultPath = measured.outputs['result-path']!;
    const result = JSON.parse(readFileSync(resultPath, 'utf8')) as { name: string };
    result.name = 'pwned @everyone <img src=x onerror=alert(1)>';
    writeFileSync(resultPath, JSON.stringify(result));
    writeFileSync(join(ws.repo, '.perfgate', 'report.md'), 'FORGED REPORT @everyone');
    api.pulls.set(11, { head: { sha: ws.sha } });
    const runPayload = { workflow_run: { head_sha: ws.sha, event: 'pull_request' }, repository: { default_branch: 'main' } };
    const r = await runAction(ws, api, 'workflow_run', runPayload, { mode: 'comment', result: resultPath });
    expect(r.code, r.stdout).toBe(0);
    const body = api.comments.get(11)![0]!.body;
    expect(body).not.toContain('FORGED');
    expect(body).not.toContain('<img');
    expect(body).toContain('@\u200Beveryone');
    // The PR moved on to another commit: no comment on it with stale figures.
    api.pulls.set(11, { head: { sha: 'f'.repeat(40) } });
    const stale = await runAction(ws, api, 'workflow_run', runPayload, { mode: 'comment', result: resultPath });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/pull request #11 is at f{40}, not at the measured [0-9a-f]{40}; not commenting/);
  });
});

describe('sharded load (an Actions matrix and a merge job)', () => {
  it('two shard jobs write shard files; the merge job gates them as one run and saves it on push', async () => {
    const port = await freePort();
    const demo = spawn(process.execPath, [join(REPO, 'fixtures', 'demo-service', 'server.js')], {
      env: { ...process.env, PORT: String(port) },
      stdio: 'ignore',
    });
    try {
      for (let i = 0; i < 50 && !(await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok; i++)
        await new Promise((r) => setTimeout(r, 100));
      const ws = workspace(`name: sharded
service: { url: "http://127.0.0.1:${port}", ready: { http: /health } }
load: { warmup: 200ms, trials: 2, duration: 1s }
scenarios:
  - { name: products, request: { path: /api/products }, connections: 4 }
targets: [ "rate(errors) < 1%" ]
`);
      const startAt = new Date(Date.now() + 2500).toISOString();
      const jobs = await Promise.all(
        [1, 2].map((i) =>
          runAction(ws, api, 'push', pushPayload(ws.sha), { shard: `${i}/2`, 'start-at': startAt, 'out-dir': `.perfgate/shards/job-${i}` }),
        ),
      );
      for (const [i, j] of jobs.entries()) {
        expect(j.code, j.stdout).toBe(0);
        expect(j.outputs['shard-path']).toMatch(new RegExp(`job-${i + 1}/shard-${i + 1}-of-2\\.json$`));
        expect(j.outputs.verdict).toBe('measured');
      }
      // No shard job wrote history or commented: only the merged run is a run.
      expect(dataBranchFiles(ws.bare)).toEqual([]);
      const merge = await runAction(ws, api, 'push', pushPayload(ws.sha), { mode: 'merge', shards: '.perfgate/shards' });
      expect(merge.code, merge.stdout).toBe(0);
      expect(merge.outputs.verdict).toBe('pass');
      expect(merge.summary).toContain('## Merged from 2 shards');
      const saved = dataBranchFiles(ws.bare).filter((f) => f.endsWith('.json'));
      expect(saved).toHaveLength(1);
      const record = JSON.parse(git(ws.bare, 'show', `perfgate-data:${saved[0]}`)) as { scenarios: { trials: unknown[] }[] };
      expect(record.scenarios[0]!.trials).toHaveLength(2);
    } finally {
      demo.kill('SIGTERM');
    }
  });
});
