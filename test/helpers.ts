// Shared test helpers: temp dirs, configs against the real demo service, and the orphan check.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO = join(REPO, 'fixtures', 'demo-service', 'server.js');
export const CLI = join(REPO, 'dist', 'cli', 'index.js');

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
export function tempDir(prefix = 'perfgate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function writeConfig(dir: string, yaml: string, name = 'perfgate.yml'): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** A unique marker placed in the service's environment; every process of its tree inherits it. */
export function newMarker(): { PERFGATE_TEST_MARKER: string } {
  return { PERFGATE_TEST_MARKER: randomUUID() };
}

/** Live processes (not zombies) whose environment carries the marker. */
export function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(`PERFGATE_TEST_MARKER=${marker}`)) found.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/**
 * The processes carrying the marker once there are `count` of them (a shell's children show in
 * /proc a moment after the shell exits, and not while they exec), or what there is after `ms`.
 */
export async function processesWithMarkerSoon(marker: string, count: number, ms = 5_000): Promise<number[]> {
  const end = Date.now() + ms;
  let found = processesWithMarker(marker);
  while (found.length < count && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    found = processesWithMarker(marker);
  }
  return found;
}

export interface DemoOptions {
  env?: Record<string, string | number>;
  connections?: number;
  rate?: number;
  trials?: number;
  duration?: string;
  warmup?: string;
  readyTimeout?: string;
  targets?: string[];
  workflow?: boolean;
  extra?: string;
}

/** A short config against the demo service: enough load to measure, short enough for tests. */
export function demoConfig(o: DemoOptions = {}): string {
  const env = Object.entries(o.env ?? {})
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n');
  const targets = (o.targets ?? []).map((t) => `  - ${JSON.stringify(t)}`).join('\n');
  const scenario = o.workflow
    ? `  - name: checkout
    workflow:
      - { name: intent, method: POST, path: /api/intents, json: { amount: 100, currency: USD }, capture: { intentId: id } }
      - { name: cart, method: POST, path: /api/carts, json: { intentId: "\${intentId}" }, capture: { cartId: id } }
      - { name: pay, method: POST, path: /api/payments, json: { cartId: "\${cartId}" } }`
    : `  - name: products
    request: { path: /api/products }`;
  return `name: test-gate
service:
  command: node ${JSON.stringify(DEMO)}
  ready: { http: /health, timeout: ${o.readyTimeout ?? '15s'} }
  stop-timeout: 3s
${env ? `  env:\n${env}\n` : ''}load:
  connections: ${o.connections ?? 4}
  warmup: ${o.warmup ?? '200ms'}
  trials: ${o.trials ?? 2}
  duration: ${o.duration ?? '1s'}
scenarios:
${scenario}
${o.rate ? `    rate: ${o.rate}\n` : ''}${targets ? `targets:\n${targets}\n` : ''}${o.extra ?? ''}`;
}
