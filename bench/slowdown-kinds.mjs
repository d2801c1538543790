// Kinds of slowdown as real commits, each editing one file of a service the way a pull request
// would, on three services: the FastAPI + PostgreSQL + Redis example, a Node.js shop on the same
// database (fixtures/node-shop) and a thread-per-connection Python server
// (fixtures/thread-per-request). Shared by the integration test
// (test/integration/slowdown-kinds.test.ts) and the benchmark (bench/kinds.mjs).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A commit that touches only the documentation. */
const DOCS_ONLY = {
  key: 'docs-only',
  name: 'a docs-only commit',
  file: 'README.md',
  scenario: null,
  carriers: [],
  change: (readme) => `${readme}\nA line of documentation.\n`,
};

/** The FastAPI + PostgreSQL + Redis example's kinds. */

/** More work in the product list: `rounds` of SHA-256 over the page's checksum. */
const hashing = (rounds) => (app) =>
  app
    .replace('import json\n', 'import hashlib\nimport json\n')
    .replace(
      '    first = (page - 1) * PAGE + 1\n',
      `    first = (page - 1) * PAGE + 1\n    h = b"x"\n    for _ in range(${rounds}):  # a checksum of the page\n        h = hashlib.sha256(h).digest()\n`,
    );

/**
 * The config loading one scenario (its request line) at 2 connections: a wait that burns no CPU
 * shows in latency where the service has idle time; in a closed model at capacity latency is
 * connections ÷ throughput, and the wait hides in the queue for the CPU.
 */
const atTwoConnections = (requestLine) => (yml) => yml.replace(requestLine, `${requestLine}    connections: 2\n`);

export const KINDS = [
  {
    key: 'cpu-10',
    name: 'more work in the handler (175 rounds of SHA-256 in the product list: about +10 % CPU here)',
    file: 'app.py',
    scenario: 'browse products',
    // The system's CPU (the service's and its own PostgreSQL's) holds the service's: it carries the work too.
    carriers: ['cpu_per_request', 'system_cpu_per_request', 'p50', 'p95'],
    change: hashing(175),
  },
  {
    // What the integration test judges: caught in every replay of the bench, where +10 % is caught in half.
    key: 'cpu-20',
    name: 'more work in the handler (440 rounds of SHA-256 in the product list: about +20 % CPU here)',
    file: 'app.py',
    scenario: 'browse products',
    carriers: ['cpu_per_request', 'system_cpu_per_request', 'p50', 'p95'],
    change: hashing(440),
  },
  {
    key: 'n-plus-1',
    name: "N+1 queries (the list asks for each product's stars)",
    file: 'app.py',
    scenario: 'browse products',
    carriers: ['system_cpu_per_request', 'cpu_per_request', 'p50', 'p95'],
    shown: ['dependency_cpu_per_request'],
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
    carriers: ['system_cpu_per_request', 'p50', 'p95', 'cpu_per_request'],
    shown: ['dependency_cpu_per_request'],
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
    carriers: ['system_cpu_per_request', 'cpu_per_request', 'p50', 'p95'],
    shown: ['dependency_cpu_per_request'],
    change: (app) => app.replace('    hit = cache.get(key)\n', '    hit = None\n'),
  },
  {
    key: 'blocking-wait',
    name: 'a 3 ms blocking call in the product page (time.sleep: no CPU)',
    file: 'app.py',
    scenario: 'product page',
    carriers: ['p50', 'p95'],
    // At 8 connections the sleep overlaps the queue for the CPU (beside a CPU-bound neighbour p50
    // read +26 %, against +58 to +90 % on an idle machine).
    config: atTwoConnections('    request: { path: /products/42 }\n'),
    change: (app) =>
      app
        .replace('import json\n', 'import json\nimport time\n')
        .replace(
          '    key = f"product:{product_id}"\n',
          '    time.sleep(0.003)  # the price service, called on every view\n    key = f"product:{product_id}"\n',
        ),
  },
  {
    key: 'async-wait',
    name: 'a 2 ms await in the async view counter (asyncio.sleep: no CPU, no thread)',
    file: 'app.py',
    scenario: 'count a view',
    carriers: ['p50', 'p95'],
    // An await burns no CPU: at the example's 8 connections the event loop fills it with other
    // requests while they queue for the CPU, and latency stays connections ÷ throughput (a CI run
    // read p50 +7.3 %, a confident pass).
    config: atTwoConnections('    request: { method: POST, path: /products/42/views }\n'),
    change: (app) =>
      app
        .replace('import json\n', 'import asyncio\nimport json\n')
        .replace(
          '    views = await counters.incr(',
          '    await asyncio.sleep(0.002)  # the recommendations service, awaited on every view\n    views = await counters.incr(',
        ),
  },
  {
    key: 'lock',
    name: 'a lock held across a 1 ms call in search (requests queue behind each other)',
    file: 'app.py',
    scenario: 'search',
    carriers: ['p50', 'p95'],
    change: (app) =>
      app
        .replace('import json\n', 'import json\nimport threading\nimport time\n')
        .replace('PAGE = 20\n', 'PAGE = 20\nFX = threading.Lock()\n')
        .replace(
          '    rows = query("SELECT id, sku, name, price_cents FROM products WHERE sku = %s", (sku.upper(),))',
          '    with FX:  # one exchange-rate lookup at a time\n        time.sleep(0.001)\n    rows = query("SELECT id, sku, name, price_cents FROM products WHERE sku = %s", (sku.upper(),))',
        ),
  },
  {
    key: 'leak',
    name: 'a leak: the product page keeps each view (≈0.6 KB) in a list never trimmed',
    file: 'app.py',
    scenario: 'product page',
    carriers: ['memory_per_request'],
    change: (app) =>
      app
        .replace('import json\n', 'import json\nimport time\n')
        .replace('PAGE = 20\n', 'PAGE = 20\nRECENT = []  # recent views, for the "recently viewed" strip\n')
        .replace(
          '    key = f"product:{product_id}"\n',
          '    key = f"product:{product_id}"\n    RECENT.append((time.time(), key, {"id": product_id, "path": f"/products/{product_id}", "ref": "x" * 200 + key}))\n',
        ),
  },
  {
    key: 'fewer-workers',
    name: 'one gunicorn worker where there were two',
    file: 'perfgate.yml',
    scenario: 'browse products',
    carriers: ['p50', 'p95', 'cpu_per_request', 'system_cpu_per_request'],
    change: (config) => config.replace('--workers 2', '--workers 1'),
  },
  DOCS_ONLY,
];

/** The Node.js shop's kinds (fixtures/node-shop/server.cjs). */
export const NODE_KINDS = [
  {
    key: 'n-plus-1',
    name: "N+1 queries (the list awaits each product's stars in turn)",
    file: 'server.cjs',
    scenario: 'browse products',
    carriers: ['system_cpu_per_request', 'cpu_per_request', 'p50', 'p95'],
    shown: ['dependency_cpu_per_request'],
    change: (src) =>
      src.replace(
        / {2}const \{ rows \} = await pool\.query\(\n {4}'SELECT p\.id[\s\S]*?\n {2}\);\n/,
        `  const { rows } = await pool.query('SELECT id, sku, name, price_cents FROM products WHERE id BETWEEN $1 AND $2 ORDER BY id', [first, first + PAGE - 1]);
  for (const r of rows) r.stars = (await pool.query('SELECT coalesce(avg(stars), 0)::float AS s FROM reviews WHERE product_id = $1', [r.id])).rows[0].s;
`,
      ),
  },
  {
    key: 'sequential',
    name: 'sequential awaits where Promise.all was (the product page)',
    file: 'server.cjs',
    scenario: 'product page',
    carriers: ['p50', 'p95'],
    change: (src) =>
      src.replace(
        / {2}const \[p, reviews\] = await Promise\.all\(\[\n {4}(pool\.query\([^\n]*\)),\n {4}(pool\.query\([^\n]*\)),\n {2}\]\);\n/,
        '  const p = await $1;\n  const reviews = await $2;\n',
      ),
  },
  {
    key: 'unindexed',
    name: 'a filter no index serves (lower(sku)): a sequential scan',
    file: 'server.cjs',
    scenario: 'search',
    carriers: ['system_cpu_per_request', 'p50', 'p95', 'cpu_per_request'],
    shown: ['dependency_cpu_per_request'],
    change: (src) =>
      src.replace(
        "'SELECT id, sku, name, price_cents FROM products WHERE sku = $1', [sku.toUpperCase()]",
        "'SELECT id, sku, name, price_cents FROM products WHERE lower(sku) = lower($1)', [sku]",
      ),
  },
  {
    key: 'leak',
    name: 'a leak: the product page keeps each view (≈1.2 KB) in an array never trimmed',
    file: 'server.cjs',
    scenario: 'product page',
    carriers: ['memory_per_request'],
    change: (src) =>
      src.replace(
        'async function product(id) {\n',
        'const recent = []; // recent views, for the "recently viewed" strip\nasync function product(id) {\n  recent.push({ at: Date.now(), id, path: `/products/${id}`, ref: \'x\'.repeat(1000) + id });\n',
      ),
  },
  DOCS_ONLY,
];

/** The thread-per-connection server's kinds (fixtures/thread-per-request/server.py). */
export const THREADED_KINDS = [
  {
    key: 'cpu-10',
    name: '+10 % hashing in the handler',
    file: 'server.py',
    scenario: 'work',
    carriers: ['cpu_per_request', 'p50', 'p95'],
    change: (src) => src.replace('    for _ in range(ROUNDS):\n', '    for _ in range(ROUNDS + ROUNDS // 10):\n'),
  },
  {
    key: 'blocking-wait',
    name: 'a 2 ms blocking call in the handler (time.sleep: no CPU)',
    file: 'server.py',
    scenario: 'work',
    carriers: ['p50', 'p95'],
    change: (src) =>
      src
        .replace('import hashlib, json, os, sys\n', 'import hashlib, json, os, sys, time\n')
        .replace('    def do_GET(self):\n', '    def do_GET(self):\n        time.sleep(0.002)  # a call to another service\n'),
  },
  {
    key: 'lock',
    name: "a lock held across a 1 ms call (each connection's thread queues behind the others)",
    file: 'server.py',
    scenario: 'work',
    carriers: ['p50', 'p95'],
    change: (src) =>
      src
        .replace('import hashlib, json, os, sys\n', 'import hashlib, json, os, sys, threading, time\n\nLOCK = threading.Lock()\n')
        .replace(
          '    def do_GET(self):\n',
          '    def do_GET(self):\n        with LOCK:  # one token refresh at a time\n            time.sleep(0.001)\n',
        ),
  },
  {
    key: 'leak',
    name: 'a leak: each request kept (≈0.6 KB) in a list never trimmed',
    file: 'server.py',
    scenario: 'work',
    carriers: ['memory_per_request'],
    change: (src) =>
      src
        .replace('import hashlib, json, os, sys\n', 'import hashlib, json, os, sys, time\n\nSEEN = []  # every request, for a debug page\n')
        .replace(
          '    def do_GET(self):\n',
          '    def do_GET(self):\n        SEEN.append((time.time(), self.path, {"path": self.path, "client": self.client_address[0], "ref": "x" * 300 + self.path}))\n',
        ),
  },
  DOCS_ONLY,
];

/** The services the kinds are committed on. */
export const SUBJECTS = [
  { key: 'fastapi', name: 'FastAPI + PostgreSQL + Redis', dir: join(ROOT, 'examples', 'fastapi-postgres'), kinds: KINDS },
  { key: 'node', name: 'Node.js + PostgreSQL', dir: join(ROOT, 'fixtures', 'node-shop'), kinds: NODE_KINDS },
  { key: 'threaded', name: "Python's ThreadingHTTPServer", dir: join(ROOT, 'fixtures', 'thread-per-request'), kinds: THREADED_KINDS },
];

const git = (cwd, ...args) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * The service as a repository in `dir` (links followed; its config with shorter trials: 1 s,
 * warm-up 1 s; A/B looks at 6 to 12 pairs; no latency targets; NODE_PATH made absolute), then
 * one commit with the kind's change. A kind's `config` edits the config of both builds (how a
 * route is loaded); `extra`: YAML appended to it (a test's own α).
 */
export function kindRepo(example, kind, dir, extra = '') {
  cpSync(example, dir, { recursive: true, dereference: true });
  const config = readFileSync(join(dir, 'perfgate.yml'), 'utf8')
    .replace(
      /^load:\n(?: {2}.*\n)*/m,
      (block) =>
        `${block
          .replace(/ {2}warmup: .*\n/, '  warmup: 1s\n')
          .replace(/ {2}duration: .*\n/, '  duration: 1s\n')
          .replace(/ {2}trials: .*\n/, '')}\nab: { min-trials: 6, max-trials: 12, step: 2 }\n`,
    )
    .replace('NODE_PATH: ../../node_modules', `NODE_PATH: ${join(ROOT, 'node_modules')}`)
    .replace(/ {6}- p\(95\) < \d+ms\n/g, '')
    .replace(/ {4}targets:\n(?! {6}- )/g, '');
  const own = kind.config ? kind.config(config) : config;
  if (own === config && kind.config) throw new Error(`the ${kind.key} config change did not apply to perfgate.yml`);
  writeFileSync(join(dir, 'perfgate.yml'), own + extra);
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
