// A duet under a real cgroup CPU quota, as a container runner or Kubernetes sets one: perfgate is
// started inside a cgroup allowed 1.5 CPUs' time on this 2-CPU machine, so pinning's split (the
// services on one CPU, the load generator on the other) isolates nothing, and the run says so.
// Needs a writable cgroup cpu controller (root on a v1 host, or a v2 cgroup that delegates cpu);
// elsewhere the test says it is skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupPaths, cpuMounts } from '../../src/service/cpu-quota.js';
import type { RunResult } from '../../src/contract/result.js';
import { CLI, tempDir } from '../helpers.js';

/** A child cgroup of this process's own, allowed `cpus` CPUs' time; null where none can be made. */
function quotaCgroup(cpus: number): { procs: string; dir: string } | null {
  try {
    const paths = cgroupPaths(readFileSync('/proc/self/cgroup', 'utf8'));
    for (const m of cpuMounts(readFileSync('/proc/self/mountinfo', 'utf8'))) {
      const own = m.version === 1 ? paths.v1 : paths.v2;
      if (own === undefined) continue;
      const dir = join(m.mountPoint, own.slice(m.root === '/' ? 0 : m.root.length), `perfgate-quota-${process.pid}`);
      try {
        mkdirSync(dir);
        if (m.version === 1) {
          writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
          writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(cpus * 100000)));
        } else writeFileSync(join(dir, 'cpu.max'), `${Math.round(cpus * 100000)} 100000`);
        return { procs: join(dir, 'cgroup.procs'), dir };
      } catch {
        try {
          rmdirSync(dir);
        } catch {
          // not made
        }
      }
    }
  } catch {
    // no cgroups here
  }
  return null;
}

const cpuCount = (): number => {
  try {
    return (/:\s*([\d,\s-]+)$/.exec(execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }).trim())?.[1] ?? '')
      .split(',')
      .reduce((n, part) => {
        const [a, b] = part.split('-').map(Number);
        return n + ((b ?? a!) - a! + 1);
      }, 0);
  } catch {
    return 0;
  }
};

const group = cpuCount() >= 2 ? quotaCgroup(1.5) : null;
if (!group)
  console.warn('\n*** no writable cgroup cpu controller, or fewer than 2 CPUs: the CPU quota test is SKIPPED (run as root on Linux) ***\n');

afterAll(() => {
  if (group) rmdirSync(group.dir);
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

describe.skipIf(!group)('a duet under a cgroup CPU quota', () => {
  it('says the split isolated nothing: the quota, its file, in result.json and the report', () => {
    const dir = tempDir('perfgate-quota-');
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(
      join(dir, 'server.js'),
      "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');\n",
    );
    writeFileSync(
      join(dir, 'perfgate.yml'),
      `name: quota
service: { command: node server.js, port: auto, ready: { http: /, timeout: 15s } }
load: { connections: 2, warmup: 200ms, duration: 400ms }
ab: { min-trials: 4, max-trials: 4 }
history: { store: none }
scenarios:
  - { name: root, request: { path: / } }
`,
    );
    writeFileSync(join(dir, '.gitignore'), '.perfgate/\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'one');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'two');
    // perfgate joins the cgroup before it starts: everything it runs inherits the quota.
    const r = spawnSync(
      'sh',
      ['-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', group!.procs, process.execPath, CLI, 'run', '--against', 'HEAD~1'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, '.perfgate', 'result.json'), 'utf8')) as RunResult;
    expect(result.ab!.design).toBe('duet');
    expect(result.ab!.cpuQuota).toEqual({ cpus: 1.5, file: expect.stringMatching(/perfgate-quota-\d+\/cpu\.(cfs_quota_us|max)$/) });
    expect(result.ab!.designNote).toMatch(
      /but a CPU quota of 1\.5 CPUs \(.*\) caps perfgate, both builds and the load generator together below the 2 CPUs listed/,
    );
    const report = readFileSync(join(dir, '.perfgate', 'report.md'), 'utf8');
    expect(report).toContain('so the split did not isolate the services from the load');
  }, 150_000);
});
