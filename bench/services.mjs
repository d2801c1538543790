// The services the A/B benchmarks run perfgate against, as config parts: the demo (Node.js),
// gunicorn + Flask (Connection: close on every response) and, where PostgreSQL and Redis are
// installed, the FastAPI example in front of them (started by perfgate as dependencies).
import { join } from 'node:path';
import { DEMO, ROOT } from './lib.mjs';

const EXAMPLE = join(ROOT, 'examples', 'fastapi-postgres');

export const BENCH_SERVICES = [
  {
    key: 'demo',
    label: 'demo',
    about: 'the demo service (Node.js), GET /api/products, 8 connections keep-alive',
    command: `node ${DEMO}`,
    cwd: ROOT,
    ready: '{ http: /health, timeout: 20s }',
    path: '/api/products',
    connections: 8,
  },
  {
    key: 'gunicorn',
    label: 'gunicorn + Flask',
    about: 'gunicorn + Flask (fixtures/flask-hash-app, 2 sync workers), GET /items, 4 connections, Connection: close',
    command: '/usr/bin/gunicorn --workers 2 --bind 127.0.0.1:$PORT app:app',
    cwd: join(ROOT, 'fixtures', 'flask-hash-app'),
    ready: '{ http: /health, timeout: 20s }',
    path: '/items',
    connections: 4,
  },
  {
    key: 'fastapi-postgres',
    label: 'FastAPI + PostgreSQL',
    about:
      'the FastAPI example (examples/fastapi-postgres: gunicorn with 2 uvicorn workers, PostgreSQL per build, Redis shared, started by perfgate), GET /products?page=3, 8 connections',
    command: '/usr/bin/gunicorn -k uvicorn.workers.UvicornWorker --workers 2 --bind 127.0.0.1:$PORT app:app',
    cwd: EXAMPLE,
    ready: '{ http: /health, timeout: 30s }',
    path: '/products?page=3',
    connections: 8,
    dependencies: `dependencies:
  - name: postgres
    command: ./deps/postgres.sh
    cwd: ${JSON.stringify(EXAMPLE)}
    ready: { log: 'database system is ready to accept connections', timeout: 60s }
    setup: /usr/bin/python3 seed.py
    provides: { DATABASE_URL: 'postgresql://perfgate@127.0.0.1:{port}/postgres' }
    per-build: true
  - name: redis
    command: exec redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no
    provides: { REDIS_URL: 'redis://127.0.0.1:{port}/0' }
`,
  },
];
