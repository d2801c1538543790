// "Where the time went" in words, and the flame graph pages: the sentence the issue asks for,
// and every name from the service escaped (a function can be called anything).
import { describe, expect, it } from 'vitest';
import type { FunctionGrowth, ProfiledSide, ProfileResult } from '../../../src/contract/profile.js';
import { flameGraphHtml, speedscopeJson } from '../../../src/report/flame-graph.js';
import { profileIndexHtml } from '../../../src/report/profile-index.js';
import { growthSentence, perRequest, profileCommentLines, profileLines, waitSentence } from '../../../src/report/profile-view.js';
import { StackBuilder } from '../../../src/profile/stacks.js';

const growth = (over: Partial<FunctionGrowth> = {}): FunctionGrowth => ({
  name: 'work',
  file: 'app.py',
  line: 12,
  calledFrom: null,
  baseSelfShare: 0.31,
  headSelfShare: 0.46,
  baseTotalShare: 0.4,
  headTotalShare: 0.5,
  baseSelfUs: 310,
  headSelfUs: 720,
  selfUsDelta: 410,
  ...over,
});

const side = (s: 'head' | 'base', over: Partial<ProfiledSide> = {}): ProfiledSide => ({
  side: s,
  profiler: 'V8 CPU profiler',
  note: null,
  samples: 900,
  rps: 950,
  referenceRps: 1000,
  measuredRps: 990,
  cpuPerRequestUs: 330,
  referenceCpuPerRequestUs: 300,
  measuredCpuPerRequestUs: 310,
  top: [{ name: 'work', file: 'app.py', line: 12, calledFrom: null, selfShare: 0.46, totalShare: 0.5, selfUs: 143, totalUs: 155 }],
  files: { flameGraph: 'out/profiles/api-head.html', speedscope: 'out/profiles/api-head.speedscope.json' },
  ...over,
});

const EVIL = 'x|`y` <img src=x onerror=alert(1)> @here #12 *b*';

describe('where the time went, in words', () => {
  it("the issue's sentence: `work` in `app.py:12`: 31 % → 46 % of service CPU (+15.0 pp); self time per request +0.41 ms", () => {
    expect(growthSentence(growth())).toBe('`work` in `app.py:12`: 31 % → 46 % of service CPU (+15.0 pp); self time per request +0.41 ms');
    expect(growthSentence(growth({ selfUsDelta: null }))).toBe('`work` in `app.py:12`: 31 % → 46 % of service CPU (+15.0 pp)');
    // A native or library function is named with the service's own function it was called from.
    expect(
      growthSentence(
        growth({ name: 'hrtimeBigInt', file: null, line: null, calledFrom: { name: 'slowdown', file: 'server.js', line: 147 } }),
      ),
    ).toBe(
      '`hrtimeBigInt` in `(native)`, called from `slowdown` in `server.js:147`: 31 % → 46 % of service CPU (+15.0 pp); self time per request +0.41 ms',
    );
    expect(perRequest(41)).toBe('41 µs');
    expect(perRequest(4.12)).toBe('4.1 µs');
    expect(perRequest(-1234, true)).toBe('−1.23 ms');
  });

  it("where requests wait: '+2.10 ms per request in `sleep` …, called from `price` in `app.py:58`', in the report and the comment", () => {
    const wait = growth({
      name: 'sleep',
      file: '/usr/lib/python3.11/asyncio/tasks.py',
      line: 627,
      calledFrom: { name: 'price', file: 'app.py', line: 58 },
      baseSelfUs: 20,
      headSelfUs: 2120,
      selfUsDelta: 2100,
    });
    expect(waitSentence(wait)).toBe(
      '+2.10 ms per request in `sleep` in `/usr/lib/python3.11/asyncio/tasks.py:627`, called from `price` in `app.py:58` (20 µs → 2.12 ms of wall time)',
    );
    const p: ProfileResult = {
      mode: 'auto',
      why: 'asked for',
      index: null,
      scenarios: [{ scenario: 'product page', sides: [side('base'), side('head')], growth: [], diffFile: null, waits: [wait] }],
    };
    const report = profileLines(p).join('\n');
    expect(report).toContain(
      '**Where requests wait longer (wall time, head against base)**\n\n- product page: +2.10 ms per request in `sleep`',
    );
    expect(report).toContain('| `sleep` | `/usr/lib/python3.11/asyncio/tasks.py:627` | 20 µs → 2.12 ms | +2.10 ms |');
    expect(profileCommentLines(p).join('\n')).toContain('- product page: +2.10 ms per request in `sleep`');
    // Nothing beyond noise: said so; no wall-clock view at all (V8, perf): nothing said.
    p.scenarios[0]!.waits = [];
    expect(profileLines(p).join('\n')).toContain("- no function's wall time per request grew beyond sampling noise.");
    delete p.scenarios[0]!.waits;
    expect(profileLines(p).join('\n')).not.toContain('Where requests wait');
  });

  it('A/B: the headline names the growth per scenario; the profiler, its cost and the files follow', () => {
    const p: ProfileResult = {
      mode: 'auto',
      why: 'the A/B gate failed: the report says where the time went',
      index: 'out/profiles/index.html',
      scenarios: [{ scenario: 'api', sides: [side('base'), side('head')], growth: [growth()], diffFile: 'out/profiles/api-diff.html' }],
    };
    const text = profileLines(p).join('\n');
    expect(text).toContain('**Functions whose self time grew most (head against base)**');
    expect(text).toContain('- api: `work` in `app.py:12`: 31 % → 46 % of service CPU (+15.0 pp); self time per request +0.41 ms');
    expect(text).toContain(
      "- head: V8 CPU profiler, 900 samples; profiler's cost: 950 req/s against 1000 unprofiled (−5.0 %), CPU per request 0.33 ms against 0.30 ms (+10.0 %)",
    );
    expect(text).toContain('differential: `out/profiles/api-diff.html`');
    const comment = profileCommentLines(p).join('\n');
    expect(comment).toContain(
      '**Where the time went** (profiled on both builds: the A/B gate failed: the report says where the time went)',
    );
    expect(comment).toContain('<details><summary>Profiles: profilers, their cost, top functions</summary>');
  });

  it('a side without a profile says why, and nothing is compared', () => {
    const p: ProfileResult = {
      mode: 'auto',
      why: 'asked for',
      index: null,
      scenarios: [
        {
          scenario: 'api',
          sides: [side('base', { profiler: null, note: 'the profiled start failed: boom', top: [], files: null }), side('head')],
          growth: null,
          diffFile: null,
        },
      ],
    };
    const text = profileLines(p).join('\n');
    expect(text).toContain('- api: not compared: no profile of the base build (the profiled start failed: boom)');
    expect(text).toContain('- base: no profile: the profiled start failed: boom');
  });

  it('names and paths from the service are inert in Markdown', () => {
    const p: ProfileResult = {
      mode: 'auto',
      why: 'asked for',
      index: null,
      scenarios: [
        {
          scenario: EVIL,
          sides: [
            side('head', {
              note: EVIL,
              top: [{ name: EVIL, file: EVIL, line: 1, calledFrom: null, selfShare: 1, totalShare: 1, selfUs: 1, totalUs: 1 }],
            }),
          ],
          growth: null,
          diffFile: null,
        },
      ],
    };
    const text = [...profileLines(p), ...profileCommentLines(p)].join('\n');
    // Outside code spans (where Markdown renders nothing) no HTML, no mention.
    const outsideCode = text.replace(/(`+)[^`][\s\S]*?\1/g, '');
    expect(outsideCode).not.toContain('<img');
    expect(outsideCode).not.toContain('@here');
    expect(text).toContain('``x\\|`y` <img src=x onerror=alert(1)> @here #12 *b*``');
    // Table cells keep their columns: every | inside a name is escaped.
    for (const row of text.split('\n').filter((l) => l.startsWith('| head |'))) expect(row.split(/(?<!\\)\|/).length).toBe(9);
  });
});

describe('flame graph pages', () => {
  const b = new StackBuilder();
  b.add(
    [
      { name: 'main', file: 'a.js', line: 1 },
      { name: EVIL, file: '"/><script>alert(1)</script>', line: 2 },
    ],
    30,
  );
  b.add(
    [
      { name: 'main', file: 'a.js', line: 1 },
      { name: 'work', file: 'a.js', line: 9 },
    ],
    70,
  );
  const head = b.build('node', 'V8');
  const base = new StackBuilder();
  base.add(
    [
      { name: 'main', file: 'a.js', line: 1 },
      { name: 'work', file: 'a.js', line: 9 },
    ],
    20,
  );
  base.add(
    [
      { name: 'main', file: 'a.js', line: 1 },
      { name: EVIL, file: '"/><script>alert(1)</script>', line: 2 },
    ],
    80,
  );

  it('everything from the service is escaped; nothing is fetched', () => {
    const html = flameGraphHtml({ title: `t ${EVIL}`, subtitle: EVIL, profile: head });
    expect(html).not.toMatch(/<script>alert|<img/);
    expect(html).not.toMatch(/\b(src|href)="http/);
    expect(html.match(/<script>/g)).toHaveLength(1); // the page's own search
    expect(html).toContain('70.00 % of sampled service CPU (70 samples)');
    const index = profileIndexHtml(EVIL, EVIL, [{ scenario: EVIL, sides: [side('head', { note: EVIL })], growth: null, diffFile: null }]);
    expect(index).not.toMatch(/<img|<script/);
    expect(index).toContain('href="api-head.html"');
  });

  it('differential: a path whose share grew is red, one that shrank is blue', () => {
    const html = flameGraphHtml({ title: 'd', subtitle: 's', profile: head, base: base.build('node', 'V8') });
    const fill = (name: string): string =>
      new RegExp(`data-name="${name}[^"]*"><title>[^<]*</title><rect [^>]*fill="([^"]+)"`).exec(html)![1]!;
    expect(fill('work')).toMatch(/^hsl\(0, /);
    expect(fill('x\\|')).toMatch(/^hsl\(220, /);
    expect(html).toContain('base 20.00 % → head 70.00 % (+50.00 pp)');
  });

  it("speedscope's format: shared frames, one sampled profile, weights", () => {
    const doc = JSON.parse(speedscopeJson('api (head)', head)) as {
      $schema: string;
      shared: { frames: { name: string; file?: string; line?: number }[] };
      profiles: { type: string; samples: number[][]; weights: number[]; endValue: number }[];
    };
    expect(doc.$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    expect(doc.shared.frames[0]).toEqual({ name: 'main', file: 'a.js', line: 1 });
    expect(doc.profiles[0]).toMatchObject({ type: 'sampled', weights: [30, 70], endValue: 100 });
    expect(doc.profiles[0]!.samples).toEqual([
      [0, 1],
      [0, 2],
    ]);
  });
});
