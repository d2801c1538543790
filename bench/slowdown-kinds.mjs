// Kinds of slowdown as real commits on the FastAPI + PostgreSQL + Redis example: each edits one
// file of the example the way a pull request would. Shared by the integration test
// (test/integration/slowdown-kinds.test.ts) and the benchmark (bench/kinds.mjs).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KINDS = [
  {
    key: 'cpu-10',
    name: 'about +10 % work in the handler (hashing in the product list)',
    file: 'app.py',
    scenario: 'browse products',
    carriers: ['cpu_per_request', 'p50', 'p95'],
    change: (app) =>
      app
        .replace('import json\n', 'import hashlib\nimport json\n')
        .replace(
          '    first = (page - 1) * PAGE + 1\n',
          '    first = (page - 1) * PAGE + 1\n    h = b"x"\n    for _ in range(400):  # a checksum of the page\n        h = hashlib.sha256(h).digest()\n',
        ),
  },
  {
    key: 'n-plus-1',
    name: "N+1 queries (the list asks for each product's stars)",
    file: 'app.py',
    scenario: 'browse products',
    carriers: ['dependency_cpu_per_request', 'cpu_per_request', 'p50', 'p95'],
    change: (app) =>
      app.replace(
        / {4}rows = query\(\n {8}"SELECT p\.id[\s\S]*?\n {4}\)\n {4}return \[\{"id": r\[0\], "sku": r\[1\], "name": r\[2\], "price": r\[3\] \/ 100, "stars": round\(float\(r\[4\]\), 2\)\} for r in rows\]/,
        `    rows = query("SELECT id, sku, name, price_cents FROM products WHERE id BETWEEN %s AND %s ORDER BY id", (first, first + PAGE - 1))
    out = []
    for r in rows:
        stars = query("SELECT coalesce(avg(stars), 0) FROM reviews WHERE product_id = %s", (r[0],))[0][0]
        out.append({"id": r[0], "sku": r[1], "name": r[2], "price": r[3] / 100, "stars": round(float(stars), 2)})
    return out`,
      ),
  },
  {
    key: 'unindexed',
    name: 'a filter no index serves (lower(sku)): a sequential scan',
    file: 'app.py',
    scenario: 'search',
    carriers: ['dependency_cpu_per_request', 'p50', 'p95', 'cpu_per_request'],
    change: (app) =>
      app.replace(
        '"SELECT id, sku, name, price_cents FROM products WHERE sku = %s", (sku.upper(),)',
        '"SELECT id, sku, name, price_cents FROM products WHERE lower(sku) = lower(%s)", (sku,)',
      ),
  },
  {
    key: 'no-cache',
    name: 'the product page no longer cached (every view reads the database)',
    file: 'app.py',
    scenario: 'product page',
    carriers: ['dependency_cpu_per_request', 'cpu_per_request', 'p50', 'p95'],
    change: (app) => app.replace('    hit = cache.get(key)\n', '    hit = None\n'),
  },
  {
    key: 'blocking-wait',
    name: 'a 3 ms blocking call in the product page (time.sleep: no CPU)',
    file: 'app.py',
    scenario: 'product page',
    carriers: ['p50', 'p95'],
    change: (app) =>
      app
        .replace('import json\n', 'import json\nimport time\n')
        .replace(
          '    key = f"product:{product_id}"\n',
          '    time.sleep(0.003)  # the price service, called on every view\n    key = f"product:{product_id}"\n',
        ),
  },
  {
    key: 'lock',
    name: 'a lock around the search query (requests queue behind each other)',
    file: 'app.py',
    scenario: 'search',
    carriers: ['p50', 'p95'],
    change: (app) =>
      app
        .replace('import json\n', 'import json\nimport threading\n')
        .replace('PAGE = 20\n', 'PAGE = 20\nSEARCH = threading.Lock()\n')
        .replace(
          '    rows = query("SELECT id, sku, name, price_cents FROM products WHERE sku = %s", (sku.upper(),))',
          '    with SEARCH:\n        rows = query("SELECT id, sku, name, price_cents FROM products WHERE sku = %s", (sku.upper(),))',
        ),
  },
  {
    key: 'docs-only',
    name: 'a docs-only commit',
    file: 'README.md',
    scenario: null,
    carriers: [],
    change: (readme) => `${readme}\nA line of documentation.\n`,
  },
];

const git = (cwd, ...args) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * The example as a repository in `dir` (its config with shorter trials: 1 s, warm-up 1 s; A/B
 * looks at 6 to 12 pairs; no latency targets), then one commit with the kind's change.
 */
export function kindRepo(example, kind, dir) {
  cpSync(example, dir, { recursive: true });
  const config = readFileSync(join(dir, 'perfgate.yml'), 'utf8')
    .replace(
      /^load:[\s\S]*?\n\n/m,
      'load:\n  connections: 8\n  warmup: 1s\n  duration: 1s\n\nab: { min-trials: 6, max-trials: 12, step: 2 }\n\n',
    )
    .replace(/ {6}- p\(95\) < \d+ms\n/g, '')
    .replace(/ {4}targets:\n(?! {6}- )/g, '');
  writeFileSync(join(dir, 'perfgate.yml'), config);
  writeFileSync(join(dir, '.gitignore'), '.perfgate/\n');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  const path = join(dir, kind.file);
  const before = readFileSync(path, 'utf8');
  const after = kind.change(before);
  if (after === before) throw new Error(`the ${kind.key} change did not apply to ${kind.file}`);
  writeFileSync(path, after);
  git(dir, 'commit', '-q', '-am', kind.name);
  return dir;
}
