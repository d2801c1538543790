// The two adapters called in this process, as actions/typescript-action tests them: the Action's
// run() with only @actions/core replaced (inputs in, outputs / summary / failures out), and the
// CLI's main() with its streams captured. Real config files, a real demo service, real load.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { demoConfig, tempDir, writeConfig } from '../helpers.js';

const core = vi.hoisted(() => ({
  inputs: {} as Record<string, string>,
  outputs: {} as Record<string, string>,
  failed: [] as string[],
  warnings: [] as string[],
  errors: [] as string[],
  summary: '',
}));

vi.mock('@actions/core', () => ({
  getInput: (name: string) => core.inputs[name] ?? '',
  setOutput: (name: string, value: unknown) => void (core.outputs[name] = String(value)),
  setFailed: (message: string) => void core.failed.push(message),
  warning: (message: unknown) => void core.warnings.push(String(message)),
  error: (message: unknown) => void core.errors.push(String(message)),
  info: () => {},
  summary: {
    addRaw(text: string) {
      core.summary += text;
      return this;
    },
    write() {
      return Promise.resolve(this);
    },
  },
}));

const { run } = await import('../../src/action/main.js');
const { main } = await import('../../src/cli/cli.js');

beforeEach(() => {
  Object.assign(core, { inputs: {}, outputs: {}, failed: [], warnings: [], errors: [], summary: '' });
  process.env.GITHUB_EVENT_NAME = 'workflow_dispatch';
});

describe('the Action adapter, in process', () => {
  it('a passing run: every output set, the report in the job summary, the step not failed', async () => {
    const dir = tempDir();
    writeConfig(dir, demoConfig({ targets: ['rate(errors) < 1%'], trials: 1, duration: '500ms' }));
    core.inputs = { 'working-directory': dir, history: 'none', comment: 'never' };
    await run();
    expect(core.failed).toEqual([]);
    expect(core.outputs.verdict).toBe('pass');
    expect(core.outputs['breached-targets']).toBe('0');
    expect(existsSync(core.outputs['result-path']!)).toBe(true);
    expect(core.summary).toContain('**Overall status:**');
  }, 60_000);

  it('a breached target fails the step with the reason and an error annotation; fail-on: none does not', async () => {
    const dir = tempDir();
    writeConfig(dir, demoConfig({ targets: ['p(50) < 0.001ms'], trials: 1, duration: '500ms' }));
    core.inputs = { 'working-directory': dir, history: 'none', comment: 'never' };
    await run();
    expect(core.outputs.verdict).toBe('fail');
    expect(core.failed).toEqual([expect.stringMatching(/^perfgate: 1 of 1 target breached/)]);
    expect(core.errors.join('\n')).toContain('p(50) < 0.001ms');

    Object.assign(core, { failed: [], errors: [], warnings: [] });
    core.inputs = { ...core.inputs, 'fail-on': 'none' };
    await run();
    expect(core.failed).toEqual([]);
    expect(core.warnings.join('\n')).toMatch(/not failing the step: fail-on: none/);
  }, 60_000);

  it('a bad input fails the step naming the input, and every output still exists', async () => {
    core.inputs = { comment: 'sometimes' };
    await run();
    expect(core.failed).toEqual(['perfgate: input "comment" must be one of always, on-change, never; got "sometimes"']);
    expect(Object.keys(core.outputs).sort()).toEqual(
      ['breached-targets', 'comment-url', 'profile-path', 'regressions', 'report-path', 'result-path', 'shard-path', 'verdict'].sort(),
    );
    expect(core.outputs.verdict).toBe('error');
  });

  it('comment mode refuses a file that is not a result.json of this perfgate', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ tool: 'k6' }));
    core.inputs = { mode: 'comment', 'working-directory': dir, result: 'result.json' };
    await run();
    expect(core.failed).toEqual([
      expect.stringMatching(/^perfgate: input "result": .*result\.json is not a perfgate result\.json of schema version 1/),
    ]);
  });
});

describe('the CLI adapter, in process', () => {
  const io = (): { out: string[]; err: string[]; stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, stdout: { write: (s) => out.push(s) > 0 }, stderr: { write: (s) => err.push(s) > 0 } };
  };

  it('--version, an unknown command, a config error: 0, 2 and 2 with what to fix', async () => {
    const a = io();
    expect(await main(['--version'], a as never)).toBe(0);
    expect(a.out.join('')).toMatch(/^\d+\.\d+\.\d+/);
    const b = io();
    expect(await main(['frobnicate'], b as never)).toBe(2);
    expect(b.err.join('')).toContain('unknown command "frobnicate"');
    const dir = tempDir();
    const bad = writeConfig(dir, 'scenarios: []\nload: { conections: 3 }\n');
    const c = io();
    expect(await main(['run', '-c', bad, '-o', join(dir, 'out')], c as never)).toBe(2);
    expect(c.err.join('')).toMatch(/perfgate\.yml:2:\d+: load\.conections: .*did you mean "connections"/);
  });

  it('perfgate run on the demo: exit 0, the verdict on stdout', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, demoConfig({ targets: ['rate(errors) < 1%'], trials: 1, duration: '500ms' }));
    const a = io();
    expect(await main(['run', '-c', file, '-o', join(dir, 'out'), '--no-save'], a as never)).toBe(0);
    expect(a.out.join('')).toMatch(/^PASSED: the one target was measured and met/);
  }, 60_000);
});
