// The CLI as a user runs it: the built bundle (dist/cli/index.js) in a child process.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, demoConfig, newMarker, processesWithMarker, tempDir, writeConfig } from '../helpers.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('perfgate CLI', () => {
  it('--help and --version exit 0; no command or an unknown one exits 2 with usage', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('perfgate run [--config perfgate.yml] [--out .perfgate]');
    // Every command starts at the same indent (two spaces), its description at six.
    const commands = help.stdout.split('\n').filter((l) => /^\s+perfgate \w/.test(l));
    expect(commands.length).toBeGreaterThan(8);
    expect(commands.filter((l) => !l.startsWith('  perfgate '))).toEqual([]);
    expect(commands.filter((l) => l.startsWith('   '))).toEqual([]);
    expect((await cli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage:');
    const unknown = await cli(['fly']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "fly"');
    expect((await cli(['run', '--bogus'])).code).toBe(2);
  });

  it('a bad config exits 2 naming file, YAML path and line', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, demoConfig().replace('  trials: 2', '  trials: two'));
    const r = await cli(['run', '--config', file, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: load\\.trials: must be integer, got "two"`),
    );
    expect(existsSync(join(dir, 'out'))).toBe(false); // nothing was started or written
  });

  it('a missing config file exits 2', async () => {
    const r = await cli(['run', '--config', '/nonexistent/perfgate.yml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/perfgate.yml: cannot read config: file not found');
  });

  it('passes with exit 0, the verdict on stdout and progress on stderr', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, demoConfig({ targets: ['rate(errors) < 1%'] }));
    const m = newMarker();
    const r = await cli(['run', '-c', file, '-o', join(dir, 'out')], { cwd: dir, env: m });
    expect(r.code).toBe(0);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    expect(r.stdout).toMatch(
      /^PASSED: the one target was measured and met; insufficient baseline for (\d) of \1 gating comparisons\n {2}PASS {9}Error rate: rate\(errors\) < 1%, measured 0 %\n/,
    );
    // Said out loud, never a silent pass: no history yet, and why this run was not saved.
    expect(r.stdout).toContain('  History: insufficient baseline (5 comparable runs needed); not compared\n');
    expect(r.stdout).toContain('not saved: a detached or non-git checkout is not the default branch; use --save to keep it\n');
    expect(r.stdout).toMatch(/Report: out\/report\.md\nResult: out\/result\.json\n$/);
    expect(r.stderr).toContain('perfgate: the service is ready after');
    expect(r.stderr).toContain('perfgate: stopping the service');
    expect(JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8'))).toMatchObject({ verdict: 'pass', schemaVersion: 1 });
  });

  it("the service inherits perfgate's environment: ERROR_RATE=0.2 perfgate run fails (exit 1)", async () => {
    const dir = tempDir();
    const file = writeConfig(dir, demoConfig({ targets: ['rate(errors) < 1%'] }));
    const r = await cli(['run', '-c', file, '-o', join(dir, 'out')], { env: { ERROR_RATE: '0.2' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAILED: 1 of 1 target breached\n {2}FAIL {9}Error rate: rate\(errors\) < 1%, measured (19\.9\d|2\d(\.\d+)?) %/,
    );
  });

  it('Ctrl-C during load: exit 130, the service tree is gone, the partial result is written', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, demoConfig({ trials: 10, targets: ['rate(errors) < 1%'] }));
    const m = newMarker();
    let sent = false;
    const r = await cli(['run', '-c', file, '-o', join(dir, 'out')], {
      env: m,
      onStderr: (text, child) => {
        if (!sent && text.includes('scenario "products"')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 700);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('SIGINT received: stopping the load and the service');
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as { failure: { kind: string } };
    expect(result.failure.kind).toBe('aborted');
  });

  it('no orphan after a crash or a never-ready service either', async () => {
    const cases: Record<string, string>[] = [{ CRASH_AFTER_MS: '700' }, { NEVER_READY: '1' }];
    for (const env of cases) {
      const dir = tempDir();
      const file = writeConfig(dir, demoConfig({ readyTimeout: '1s', targets: ['rate(errors) < 1%'] }));
      const m = newMarker();
      const r = await cli(['run', '-c', file, '-o', join(dir, 'out')], { env: { ...m, ...env } });
      expect(r.code).toBe(1);
      expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    }
  });

  it('an exception nothing caught inside perfgate mid-run: exit 3, result.json and report still written, nothing left running', async () => {
    // A real uncaught exception in the perfgate process itself, thrown from a timer 1.5 s into the
    // run (loaded with --import before perfgate), wherever the run happens to be then.
    const dir = tempDir();
    const thrower = join(dir, 'throw-later.mjs');
    writeFileSync(thrower, "setTimeout(() => { throw new Error('boom from a timer'); }, 1500);\n");
    const file = writeConfig(dir, demoConfig({ trials: 6, targets: ['rate(errors) < 1%'] }));
    const m = newMarker();
    const r = await cli(['run', '-c', file, '-o', join(dir, 'out')], { env: { ...m, NODE_OPTIONS: `--import=${thrower}` } });
    expect(r.code, r.stderr).toBe(3);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as {
      verdict: string;
      failure: { kind: string; message: string };
    };
    expect(result.verdict).toBe('fail');
    expect(result.failure.kind).toBe('internal');
    expect(result.failure.message).toContain('boom from a timer');
    expect(readFileSync(join(dir, 'out', 'report.md'), 'utf8')).toContain('perfgate itself failed');
  });

  it('an https service is gated end to end: verified against its CA, readiness and uptime probe over TLS', async () => {
    const dir = tempDir();
    const tls = join(REPO, 'fixtures', 'tls');
    const yaml = demoConfig({
      env: { TLS_CERT: join(tls, 'server.pem'), TLS_KEY: join(tls, 'server-key.pem') },
      targets: ['rate(errors) < 1%', 'uptime >= 99%'],
    }).replace(
      'service:\n',
      `service:\n  url: https://localhost:{port}\n  port: auto\n  tls: { ca: ${JSON.stringify(join(tls, 'ca.pem'))} }\n`,
    );
    const file = writeConfig(dir, yaml);
    const r = await cli(['run', '-c', file, '-o', join(dir, 'out')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as {
      service: { url: string; uptime: { ratio: number } };
      scenarios: { summary: { ok: number; errors: { total: number }; connections: { opened: number } } }[];
    };
    expect(result.service.url).toMatch(/^https:\/\/localhost:\d+$/);
    expect(result.service.uptime.ratio).toBe(1);
    expect(result.scenarios[0]!.summary.errors.total).toBe(0);
    expect(result.scenarios[0]!.summary.ok).toBeGreaterThan(100);
  });

  it('header values and paths that cannot be sent are refused in the config, located (exit 2)', async () => {
    const dir = tempDir();
    const file = writeConfig(
      dir,
      'service: {url: "http://127.0.0.1:1"}\nscenarios:\n  - name: a\n    request:\n      path: "/a\\nb"\n      headers: {x-evil: "a\\r\\nHost: b"}\n',
    );
    const r = await cli(['run', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /perfgate\.yml:6:\d+: scenarios\[0\]\.request\.headers\.x-evil: the value of header "x-evil" contains a CR or LF/,
    );
    expect(r.stderr).toMatch(/perfgate\.yml:5:\d+: scenarios\[0\]\.request\.path: the path contains a control character/);
  });

  it('more connections than the open-file limit allows: exit 2 with how to fix it, before anything starts', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, demoConfig({ connections: 1000 }));
    const r = await new Promise<Run>((resolve) => {
      // A hard limit of 256 for this one process: Node cannot raise its soft limit past it.
      const child = spawn(
        '/bin/sh',
        ['-c', `ulimit -n 256 && exec "${process.execPath}" "${CLI}" run -c "${file}" -o "${join(dir, 'out')}"`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/1000 connections need about 1064 open files, but this process may open only 256/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
