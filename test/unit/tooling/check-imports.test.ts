// The import rule that `npm run lint` enforces: imports point down the flow, no circles, and the
// top of src/ holds only rooms. Checked on small trees made here, and on src/ itself.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports } from '../../../scripts/check-imports.mjs';
import { REPO, tempDir } from '../../helpers.js';

function tree(files: Record<string, string>): string {
  const src = join(tempDir('perfgate-imports-'), 'src');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(src, path, '..'), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return src;
}

describe('check-imports', () => {
  it('passes on src/ as it is', () => {
    expect(checkImports(join(REPO, 'src'))).toEqual([]);
  });

  it('fails an upward import and names both files', () => {
    const src = tree({
      'config/load.ts': "import { x } from '../analysis/regression.js';\nexport const y = x;\n",
      'analysis/regression.ts': 'export const x = 1;\n',
    });
    expect(checkImports(src)).toEqual(['config/load.ts: imports analysis/regression.ts (analysis/ is above config/ in the flow)']);
  });

  it('fails a bare side-effect import and a dynamic import() of a room above', () => {
    const src = tree({
      'stats/a.ts': "import '../report/view.js';\nexport const a = 1;\n",
      'stats/b.ts': "export const b = () => import('../report/view.js');\n",
      'report/view.ts': 'export const v = 1;\n',
    });
    expect(checkImports(src).sort()).toEqual([
      'stats/a.ts: imports report/view.ts (report/ is above stats/ in the flow)',
      'stats/b.ts: imports report/view.ts (report/ is above stats/ in the flow)',
    ]);
  });

  it('a side-effect import closes a circle like any other', () => {
    const src = tree({
      'history/a.ts': "import './b.js';\nexport const a = 1;\n",
      'history/b.ts': "import { a } from './a.js';\nexport const b = a;\n",
    });
    expect(checkImports(src)).toEqual(['import circle: history/a.ts → history/b.ts']);
  });

  it('fails a circle inside one room, type-only imports included', () => {
    const src = tree({
      'history/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'history/b.ts': "import { c } from './c.js';\nexport type B = number;\nexport const b = c;\n",
      'history/c.ts': "import type { A } from './a.js';\nexport const c = 1 as A;\n",
    });
    expect(checkImports(src)).toEqual(['import circle: history/a.ts → history/b.ts → history/c.ts']);
  });

  it('fails a file at the top of src/ and a room the flow does not know', () => {
    const src = tree({ 'gate.ts': 'export {};\n', 'misc/x.ts': 'export {};\n' });
    expect(checkImports(src).sort()).toEqual([
      'gate.ts: the top of src/ holds only rooms (folders); put this file in one',
      'misc/x.ts: src/misc/ is no room of the flow (scripts/check-imports.mjs lists them)',
    ]);
  });

  it('allows imports down the flow and within a room', () => {
    const src = tree({
      'cli/main.ts': "import { run } from '../commands/run.js';\nexport const main = run;\n",
      'commands/run.ts': "import { gate } from '../pipeline/gate.js';\nimport { h } from './help.js';\nexport const run = gate + h;\n",
      'commands/help.ts': 'export const h = 1;\n',
      'pipeline/gate.ts': "import type { R } from '../contract/result.js';\nexport const gate = 1 as R;\n",
      'contract/result.ts': 'export type R = number;\n',
    });
    expect(checkImports(src)).toEqual([]);
  });
});
