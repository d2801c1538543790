// The profilers' outputs read into one shape, checked on real files the tools wrote on this
// machine (test/fixtures/profiles/README.md), and the arithmetic over that shape.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StackProfile } from '../../src/contract/profile.js';
import {
  jsCallLines,
  jsFunctions,
  readAustin,
  readCpuProfile,
  readPerfScript,
  readSampler,
  type SamplerOutput,
} from '../../src/profile/formats.js';
import { austinReads } from '../../src/profile/session.js';
import { alignLines, functionGrowth, hotFunctions, sampledWeight, StackBuilder } from '../../src/profile/stacks.js';
import { DEMO, REPO } from '../helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'profiles');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

describe('V8 .cpuprofile', () => {
  const raw = JSON.parse(fixture('demo-head.cpuprofile')) as Parameters<typeof readCpuProfile>[0];
  const demoSource = jsFunctions(readFileSync(DEMO, 'utf8'), '/tmp/dr/server.js');

  it("the demo's own functions are found in its source, by first line", () => {
    const at = (name: string): number | null | undefined => demoSource.find((f) => f.name === name)?.line;
    expect(at('work')).toBe(137);
    expect(at('slowdown')).toBe(147);
    expect(at('handler')).toBe(237);
    expect(at('catalog')).toBe(117);
    // Control flow is not a function.
    expect(demoSource.some((f) => ['if', 'for', 'while', 'switch'].includes(f.name))).toBe(false);
  });

  it('ticks V8 put on the line that calls an inlined function (`work(WORK_ITERATIONS);`) go to that function', () => {
    const slowed = JSON.parse(fixture('demo-slowdown-head.cpuprofile')) as Parameters<typeof readCpuProfile>[0];
    const source = readFileSync(DEMO, 'utf8');
    const file = '/tmp/ci-clone/fixtures/demo-service/server.js';
    const functions = jsFunctions(source, file);
    const calls = jsCallLines(source, functions);
    expect(calls.get(267)).toMatchObject({ name: 'work', line: 137 });
    expect(calls.get(273)).toMatchObject({ name: 'slowdown', line: 147 });
    const read = (withCalls: boolean) =>
      hotFunctions(
        readCpuProfile(
          slowed,
          new StackBuilder(),
          (f) => (f === file ? functions : []),
          (f, line) => (withCalls && f === file ? calls.get(line) : undefined),
        ).build('node', 'V8'),
        null,
        50,
      );
    const callback = (withCalls: boolean) => read(withCalls).find((f) => f.name === '(anonymous)' && f.line === 266)?.selfShare ?? 0;
    // Read without the call lines, the route callback (line 266) holds 31 % of the CPU itself; with them, `work` has it.
    expect(callback(false)).toBeGreaterThan(0.25);
    expect(callback(true)).toBeLessThan(0.05);
    expect(read(true)[0]).toMatchObject({ name: 'work', line: 137 });
    expect(read(true)[0]!.selfShare).toBeGreaterThan(read(false)[0]!.selfShare + 0.25);
  });

  it('inlined `work` gets the samples its line ticks point at; idle and (root) stay out', () => {
    const p = readCpuProfile(raw, new StackBuilder(), (file) => (file === '/tmp/dr/server.js' ? demoSource : [])).build('node', 'V8');
    const hot = hotFunctions(p, null, 3);
    expect(hot[0]).toMatchObject({ name: 'work', file: '/tmp/dr/server.js', line: 137 });
    expect(hot[0]!.selfShare).toBeGreaterThan(0.6);
    // Every sample of the file is counted once: idle apart, perfgate's own agent (polling its
    // control file) left out as the profiler's cost, the rest in stacks.
    const idle = raw.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id);
    const idleSamples = raw.samples!.filter((s) => idle.includes(s)).length;
    const parent = new Map(raw.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id] as const)));
    const byId = new Map(raw.nodes.map((n) => [n.id, n]));
    const inAgent = (id: number | undefined): boolean =>
      id !== undefined && (byId.get(id)!.callFrame.url.endsWith('/profilers/node-agent.cjs') || inAgent(parent.get(id)));
    const agentSamples = raw.samples!.filter((s) => inAgent(s)).length;
    expect(agentSamples).toBeGreaterThan(0);
    expect(p.idle).toBe(idleSamples);
    expect(sampledWeight(p) + p.idle + agentSamples).toBe(raw.samples!.length);
    expect(p.frames.some((f) => f.file?.endsWith('node-agent.cjs'))).toBe(false);
    expect(p.frames.some((f) => f.name === '(root)' || f.name === '(idle)')).toBe(false);
    expect(p.processes).toBe(1);
  });

  it("without the line ticks, V8's nodes charge most of the inlined code to the callers", () => {
    const share = (p: StackProfile): number => hotFunctions(p, null, 50).find((h) => h.name === 'work')?.selfShare ?? 0;
    const noTicks = { ...raw, nodes: raw.nodes.map((n) => ({ ...n, positionTicks: undefined })) };
    const asCharged = share(readCpuProfile(noTicks).build('node', 'V8'));
    const putBack = share(readCpuProfile(raw).build('node', 'V8'));
    expect(asCharged).toBeLessThan(0.5);
    expect(putBack).toBeGreaterThan(asCharged + 0.2);
  });

  it('a tick on a line below the caller is its own code; a node without ticks keeps all its samples', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2] },
        {
          id: 2,
          callFrame: { functionName: 'outer', url: 'file:///app/a.js', lineNumber: 19 },
          children: [3],
          positionTicks: [
            { line: 22, ticks: 3 },
            { line: 6, ticks: 5 },
          ],
        },
        { id: 3, callFrame: { functionName: 'leaf', url: 'file:///app/a.js', lineNumber: 39 } },
      ],
      samples: [2, 2, 2, 2, 2, 2, 2, 2, 3, 3],
    };
    const p = readCpuProfile(profile, new StackBuilder(), () => [{ name: 'helper', file: '/app/a.js', line: 5 }]).build('node', 'V8');
    const hot = new Map(hotFunctions(p, 1000).map((h) => [h.name, h]));
    expect(hot.get('helper')).toMatchObject({ selfShare: 0.5, selfUs: 500 });
    expect(hot.get('outer')).toMatchObject({ selfShare: 0.3, totalShare: 1 });
    expect(hot.get('leaf')).toMatchObject({ selfShare: 0.2, line: 40, file: '/app/a.js' });
  });
});

describe("perfgate's Python sampler", () => {
  it('a gunicorn worker: the Flask handler `items` in app.py is the hottest own function, under gunicorn', () => {
    const p = readSampler(JSON.parse(fixture('gunicorn-worker.json')) as SamplerOutput).build('python', 'sampler');
    const hot = hotFunctions(p, null, 1)[0]!;
    expect(hot).toMatchObject({ name: 'items' });
    expect(hot.file).toMatch(/app\.py$/);
    expect(hot.line).toBeGreaterThan(0);
    // Every stack starts at the worker's entry point, gunicorn's.
    const roots = new Set(p.stacks.map((s) => p.frames[s.frames[0]!]!.file));
    expect([...roots].every((f) => /gunicorn|python3/.test(f ?? ''))).toBe(true);
  });
});

describe('austin', () => {
  it('a line per sample: `work` under `handler`; L-lines and Thread parts are not frames; a thread without frames is idle', () => {
    const p = readAustin(fixture('austin-3.10.txt')).build('python', 'austin 1.0.1');
    const lines = fixture('austin-3.10.txt')
      .split('\n')
      .filter((l) => l.startsWith('Thread '));
    expect(sampledWeight(p) + p.idle).toBe(lines.length);
    expect(p.idle).toBe(lines.filter((l) => !l.includes(';')).length);
    const hot = hotFunctions(p, null, 5);
    expect(hot[0]).toMatchObject({ name: 'work', file: '/tmp/busy310.py', line: null });
    expect(hot[0]!.selfShare).toBeGreaterThan(0.5);
    const handler = hotFunctions(p, null, 50).find((h) => h.name === 'handler')!;
    expect(handler.totalShare).toBeGreaterThanOrEqual(hot[0]!.selfShare);
    expect(p.frames.some((f) => /^(L\d+|Thread)/.test(f.name))).toBe(false);
    // perfgate's own sampler thread, asleep in its poll loop, is not the service's time.
    const withAgent = readAustin(
      'Thread 1;poll (/x/templates/profilers/python/sitecustomize.py);L60 1000\nThread 2;main (app.py);L3 1000\n',
    );
    expect(sampledWeight(withAgent.build('python', 'a'))).toBe(1);
  });

  it('austin 2.x/3.x lines (`P<pid>;T<iid>:<tid>;file:fn:line`, `#` metadata) read as the 1.x form does', () => {
    // The same samples written as austin 3.x writes them (austin 3 does not install here: Debian 12
    // ships 1.0.1): each `fn (file);Lnn` frame becomes `file:fn:nn`.
    const old = fixture('austin-3.10.txt');
    const v3 = [
      '# austin: 3.7.0',
      '# interval: 1000',
      '# mode: cpu',
      ...old
        .split('\n')
        .filter((l) => l.startsWith('Thread '))
        .map((l) => {
          const cut = l.lastIndexOf(' ');
          const parts = l.slice(0, cut).split(';');
          const frames: string[] = [];
          for (let i = 1; i < parts.length; i += 2) {
            const m = /^(.*) \((.*)\)$/.exec(parts[i]!)!;
            frames.push(`${m[2]}:${m[1]}:${parts[i + 1]!.slice(1)}`);
          }
          return [`P4242;T0:${parts[0]!.slice(7)}`, ...frames].join(';') + l.slice(cut);
        }),
    ].join('\n');
    const a = readAustin(old).build('python', 'austin 1.0.1');
    const b = readAustin(v3).build('python', 'austin 3.7.0');
    expect(sampledWeight(b)).toBe(sampledWeight(a));
    expect(b.idle).toBe(a.idle);
    expect(hotFunctions(b, null, 5)).toEqual(hotFunctions(a, null, 5));
    expect(b.frames.some((f) => /^(P\d|T\d|#)/.test(f.name) || f.name.includes(':'))).toBe(false);
  });

  it('which CPython each austin reads: Debian 12 austin 1.0.1 reads 3.10, not 3.11', () => {
    expect(austinReads('1.0.1', '3.10')).toBe(true);
    expect(austinReads('1.0.1', '3.11')).toBe(false);
    expect(austinReads('3.4.1', '3.11')).toBe(true);
    expect(austinReads('3.4.1', '3.12')).toBe(false);
    expect(austinReads('3.7.0', '3.13')).toBe(true);
  });
});

describe('perf script', () => {
  it('leaf-first frames become root-first stacks; symbols lose their offsets, unknown ones are named after their object', () => {
    const p = readPerfScript(fixture('perf-script.txt')).build('perf', 'perf 6.1');
    expect(sampledWeight(p)).toBeGreaterThan(90);
    expect(p.processes).toBe(1);
    expect(p.frames.every((f) => !/\+0x[0-9a-f]+$/.test(f.name))).toBe(true);
    expect(p.frames.some((f) => f.name === '[libcrypto.so.3]' && f.file === '/usr/lib/x86_64-linux-gnu/libcrypto.so.3')).toBe(true);
    // Hashing in a loop: libcrypto or the interpreter is where the time went.
    const top = hotFunctions(p, null, 3);
    expect(
      top.some((f) => /libcrypto|libpython|python|hashlib/.test(`${f.name} ${f.file}`)),
      JSON.stringify(top),
    ).toBe(true);
  });
});

describe('hot functions and growth', () => {
  const profile = (stacks: [string[], number][]): StackProfile => {
    const b = new StackBuilder();
    for (const [names, w] of stacks)
      b.add(
        names.map((n) => ({ name: n, file: 'app.py', line: n.length })),
        w,
      );
    b.processes = 1;
    return b.build('python', 'test');
  };

  it('self and total shares; recursion counts a total once per sample', () => {
    const p = profile([
      [['main', 'f', 'f', 'g'], 2],
      [['main', 'f'], 1],
      [['main'], 1],
    ]);
    const hot = new Map(hotFunctions(p, 400).map((h) => [h.name, h]));
    expect(hot.get('g')).toMatchObject({ selfShare: 0.5, totalShare: 0.5, selfUs: 200, totalUs: 200 });
    expect(hot.get('f')).toMatchObject({ selfShare: 0.25, totalShare: 0.75 });
    expect(hot.get('main')).toMatchObject({ selfShare: 0.25, totalShare: 1 });
  });

  it('`work` 31 % → 46 % of service CPU: the largest growth per request first, only growth beyond sampling noise', () => {
    // 1,000 samples a side: a share scatters by √(p(1−p)/1000), 1.5 pp at 31 %.
    const base = profile([
      [['main', 'work'], 310],
      [['main', 'parse'], 490],
      [['main'], 200],
    ]);
    const head = profile([
      [['main', 'work'], 460],
      [['main', 'parse'], 360],
      [['main'], 180],
    ]);
    const g = functionGrowth(base, head, 1000, 1400);
    // main's self time per request +52 µs (200 → 252) is within its noise here (sd 21 µs).
    expect(g.map((r) => r.name)).toEqual(['work']);
    expect(g[0]).toMatchObject({ baseSelfShare: 0.31, headSelfShare: 0.46 });
    expect(g[0]!.selfUsDelta).toBeCloseTo(0.46 * 1400 - 0.31 * 1000, 9);
    // Without CPU time per request, growth is by share (parse shrank, main too).
    expect(functionGrowth(base, head, null, null).map((r) => r.name)).toEqual(['work']);
    // The same shares read from 10,000 samples a side: main's +52 µs is beyond the noise (sd 6.7 µs).
    const many = (p: StackProfile): StackProfile => ({ ...p, stacks: p.stacks.map((s) => ({ ...s, weight: s.weight * 10 })) });
    expect(functionGrowth(many(base), many(head), 1000, 1400).map((r) => r.name)).toEqual(['work', 'main']);
    // Nothing changed but the samples: nothing is named.
    const again = profile([
      [['main', 'work'], 318],
      [['main', 'parse'], 482],
      [['main'], 200],
    ]);
    expect(functionGrowth(base, again, 1000, 1010)).toEqual([]);
  });

  it("a wall view where no base request waited in own code (0 samples, 0 µs): the head's wait is named; an unsampled CPU profile names nothing", () => {
    const empty = profile([]);
    const head = profile([[['main', 'sleep'], 280]]);
    expect(functionGrowth(empty, head, 0, 2100).map((r) => [r.name, r.selfUsDelta])).toEqual([['sleep', 2100]]);
    // A base that had CPU time but no samples came back is not known to be 0.
    expect(functionGrowth(empty, head, 300, 2100)).toEqual([]);
  });

  it('a commit that only inserts lines above a hot function names nothing; its share is compared with itself', () => {
    const at = (line: number, shift = 0) => ({ name: 'work', file: 'server.js', line: line + shift });
    const build = (shift: number, anon: number[]): StackProfile => {
      const b = new StackBuilder();
      const main = { name: 'main', file: 'server.js', line: 1 };
      b.add([main, at(137, shift)], 800);
      // Two anonymous callbacks below `work`, and one above it that the head adds samples to.
      b.add([main, { name: '(anonymous)', file: 'server.js', line: 200 + shift }], anon[0]!);
      b.add([main, { name: '(anonymous)', file: 'server.js', line: 240 + shift }], anon[1]!);
      b.add([main, { name: '(anonymous)', file: 'server.js', line: 20 }], anon[2]!);
      b.add([main], 100);
      return b.build('node', 'V8');
    };
    const base = build(0, [60, 30, 10]);
    const head = build(25, [58, 33, 9]);
    expect(functionGrowth(base, head, 500, 505)).toEqual([]);
    // Read by line, `work` would have grown from nothing to 80 %.
    expect(alignLines(base, head).frames.find((f) => f.name === 'work')!.line).toBe(162);
    const anon = alignLines(base, head)
      .frames.filter((f) => f.name === '(anonymous)')
      .map((f) => f.line);
    expect(anon).toEqual([225, 265, 20]);
    // A real growth in a moved function is still named, at the head's line.
    const grown = build(25, [60, 30, 10]);
    grown.stacks[0]!.weight = 1600;
    expect(functionGrowth(base, grown, 500, 900)[0]).toMatchObject({ name: 'work', line: 162 });
  });

  it("a function outside the service's own code is named with its own-code caller", () => {
    const b = new StackBuilder();
    const main = { name: 'main', file: 'app.py', line: 1 };
    const handler = { name: 'handler', file: 'app.py', line: 5 };
    const lib = { name: 'dumps', file: '/usr/lib/python3.11/json/__init__.py', line: 183 };
    const native = { name: 'hrtimeBigInt', file: null, line: null };
    b.add([main, handler, lib], 6);
    b.add([main, lib], 2);
    b.add([main, { name: 'helper', file: 'node_modules/x/index.js', line: 3 }, native], 4);
    const hot = new Map(hotFunctions(b.build('python', 't'), null).map((h) => [h.name, h.calledFrom?.name ?? null]));
    expect(Object.fromEntries(hot)).toEqual({ dumps: 'handler', hrtimeBigInt: 'main', handler: null, main: null, helper: null });
  });

  it("several processes' profiles read into one builder: equal stacks summed, each process counted", () => {
    const out = (count: number): SamplerOutput => ({
      frames: [
        ['main', 'app.py', 1],
        ['work', 'app.py', 9],
      ],
      samples: [{ stack: [0, 1], count }],
    });
    const b = new StackBuilder();
    readSampler(out(3), b);
    readSampler(out(2), b);
    const m = b.build('python', 'sampler');
    expect(m.stacks).toEqual([{ frames: [0, 1], weight: 5 }]);
    expect(m).toMatchObject({ idle: 0, processes: 2 });
  });
});
