// action.yml as the GitHub Marketplace reads it, and the workflows this repository runs on itself.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);
const yaml = (path: string): Record<string, unknown> => parse(readFileSync(new URL(path, root), 'utf8')) as Record<string, unknown>;

// The branding colours the Marketplace accepts.
const COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'];

describe('action.yml', () => {
  const action = yaml('action.yml') as {
    name: string;
    description: string;
    branding: { icon: string; color: string };
    runs: { using: string; main: string };
  };

  it('fits the Marketplace: a name, a description under 125 characters, branding', () => {
    expect(action.name.length).toBeGreaterThan(0);
    expect(action.description.length).toBeLessThan(125);
    expect(action.branding.icon).toMatch(/^[a-z0-9-]+$/);
    expect(COLORS).toContain(action.branding.color);
  });

  it('runs the committed bundle on Node 24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });
});

describe('.github/workflows', () => {
  it('CI runs lint, types, tests on Node 20 and 24, the dist check, and the Action from the checkout', () => {
    const ci = yaml('.github/workflows/ci.yml') as {
      jobs: Record<string, { strategy?: { matrix: { node: number[] } }; steps: { run?: string; uses?: string }[] }>;
    };
    const runs = Object.values(ci.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ''));
    for (const command of ['npm run lint', 'npm run typecheck', 'npm test', 'npm run check-dist'])
      expect(runs.some((r) => r.includes(command))).toBe(true);
    expect(ci.jobs.test!.strategy!.matrix.node).toEqual([20, 24]);
    expect(ci.jobs.action!.steps.some((s) => s.uses === './')).toBe(true);
  });

  it('a release checks dist, publishes notes from CHANGELOG.md and moves the major tag', () => {
    const release = readFileSync(new URL('.github/workflows/release.yml', root), 'utf8');
    expect(release).toContain('npm run check-dist');
    expect(release).toContain('node scripts/release-notes.mjs');
    expect(release).toContain('git tag -f "$major"');
  });
});
