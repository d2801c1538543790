// perfgate as another project gets it: `npm pack` of this repository, the tarball installed into a
// new project with its own small service and its own perfgate.yml, and `npx perfgate run` there.
// The package carries only what runs (bundles, schemas, templates, action.yml) and needs no
// dependency from the registry.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newMarker, processesWithMarker, REPO, tempDir } from '../helpers.js';

const npm = (cwd: string, ...args: string[]): string =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

describe('the packed CLI in a project that is not perfgate', () => {
  it('npm pack → install the tarball → npx perfgate run: the gate passes, history is written there, nothing is left', () => {
    const packs = tempDir('perfgate-pack-');
    const packed = JSON.parse(npm(REPO, 'pack', '--json', '--pack-destination', packs)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = packed[0]!.files.map((f) => f.path);
    // Only what runs: no sources, tests, benchmark data or fixtures.
    expect(files.filter((f) => /^(src|test|bench|fixtures|scripts|examples|docs)\//.test(f))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining(['dist/cli/index.js', 'dist/index.js', 'action.yml', 'templates/report.md.hbs', 'LICENSE']),
    );
    expect(files.length).toBeLessThan(30);

    // A project of its own: a small service, a config, a git repository on main.
    const project = tempDir('perfgate-user-project-');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-service', version: '1.0.0', private: true }));
    writeFileSync(
      join(project, 'server.js'),
      `require('node:http').createServer((req, res) => res.end(req.url === '/health' ? 'ok' : JSON.stringify({ items: [1, 2, 3] })))
  .listen(Number(process.env.PORT), '127.0.0.1');
`,
    );
    writeFileSync(
      join(project, 'perfgate.yml'),
      `name: my-service
service:
  command: node server.js
  ready: { http: /health }
load: { connections: 4, warmup: 200ms, duration: 500ms, trials: 2 }
scenarios:
  - name: items
    request: { path: /items }
    targets: [ "p(95) < 500ms" ]
targets: [ "rate(errors) < 1%" ]
`,
    );
    writeFileSync(join(project, '.gitignore'), 'node_modules/\n.perfgate/\n');
    git(project, 'init', '-q', '-b', 'main');
    git(project, 'add', '.');
    git(project, 'commit', '-q', '-m', 'my service');
    // No registry needed: the tarball has no dependencies.
    npm(project, 'install', '--offline', '--no-save', join(packs, packed[0]!.filename));
    expect(readdirSync(join(project, 'node_modules')).filter((x) => !x.startsWith('.'))).toEqual(['perfgate']);

    const m = newMarker();
    const run = spawnSync('npx', ['--no-install', 'perfgate', 'run'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, ...m, CI: '' },
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^PASSED: all 2 targets measured and met/);
    expect(run.stdout).toContain('saved: a run of the default branch (main)');
    expect(readdirSync(join(project, '.perfgate', 'history')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(existsSync(join(project, '.perfgate', 'report.md'))).toBe(true);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  }, 120_000);
});
