// Where perfgate's data files (templates/, schemas/) live: the package root, found by walking up
// from this module. Works from src/ (tests), dist/index.js (Action) and dist/cli/index.js (CLI).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'templates'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'perfgate') return (root = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`perfgate: cannot find its package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function assetPath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
