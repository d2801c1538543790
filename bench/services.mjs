// The services the A/B benchmarks run perfgate against, as config parts: the demo (Node.js),
// gunicorn + Flask (Connection: close on every response) and, where PostgreSQL and Redis are
// installed, the FastAPI example in front of them (started by perfgate as dependencies).
import { join } from 'node:path';
import { DEMO, ROOT } from './lib.mjs';

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
];
