// The charts in a real browser: Chromium (test/browser.ts: from npm, else Debian's) driven by
// playwright-core.
// The dashboard is built from a fixture history; the report's Mermaid block goes through a
// Markdown renderer and mermaid's own parser and renderer.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { marked } from 'marked';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDashboard } from '../../src/commands/dashboard.js';
import { DirStore } from '../../src/history/dir-store.js';
import type { HistoryRecord } from '../../src/contract/record.js';
import { loadTemplate } from '../../src/report/render.js';
import { buildView } from '../../src/report/view.js';
import type { RunResult } from '../../src/contract/result.js';
import { createRng } from '../../src/stats/rng.js';
import { REPO, tempDir } from '../helpers.js';
import { CHROMIUM, launchChromium } from '../browser.js';
import { record, withStoredRuns } from '../history-fixtures.js';

const OUT = join(REPO, 'test-output');
let browser: Browser;

beforeAll(async () => {
  if (!CHROMIUM) return;
  mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** 1000 runs over two scenarios, p95 stepping up 30 % at run 700, three runs that found regressions. */
function fixtureHistory(): HistoryRecord[] {
  const rng = createRng(77);
  return Array.from({ length: 1000 }, (_, i) => {
    const r = record(rng, { p50: 2, p95: i < 700 ? 5 : 6.5, p99: i < 700 ? 9 : 11 }, {}, i);
    r.scenarios.push({
      name: 'checkout',
      trials: r.scenarios[0]!.trials.map((t) => ({ ...t, p50: t.p50! * 3, p95: t.p95! * 3, p99: t.p99! * 3, rps: t.rps / 3 })),
    });
    r.service = { cpuMean: 40 + 5 * rng.normal(), memoryPeak: 90 * 2 ** 20 };
    r.regressions = [700, 701, 850].includes(i) ? ['p95 of api'] : [];
    // Two profiled runs whose flame graphs were published next to the dashboard.
    if (i === 850 || i === 990) r.profiles = [{ scenario: 'api', page: `profiles/${r.id}/api-head.html` }];
    return r;
  });
}

describe.skipIf(!CHROMIUM)('dashboard in Chromium', () => {
  it('draws every chart, shows a SHA on hover, logs no error, with 1000 runs', async () => {
    const dir = tempDir();
    const store = new DirStore(join(dir, 'history'));
    for (const r of fixtureHistory()) await store.save(r);
    const { file, runs } = await runDashboard({ history: join(dir, 'history'), outDir: join(dir, 'dash'), title: 'shop <dashboard>' });
    expect(runs).toBe(1000);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained: nothing fetched
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('.uplot canvas');
    const loadMs = Date.now() - t0;
    // 2 scenarios × (latency + throughput) + CPU + memory.
    expect(await page.locator('.uplot').count()).toBe(6);
    expect(await page.locator('.uplot canvas').count()).toBe(6);
    expect(await page.title()).toBe('shop <dashboard>');
    // The latency chart has three series (p50, p95, p99) plus x.
    expect(await page.locator('.uplot').first().locator('.u-legend .u-series').count()).toBe(4);
    expect(await page.locator('#latest tr').count()).toBe(3);
    // The flame graphs of profiled runs, newest first, linked next to the dashboard.
    const links = await page.locator('#profiles a[href^="profiles/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toHaveLength(2);
    expect(links.every((h) => /^profiles\/[\w.-]+\/api-head\.html$/.test(h ?? ''))).toBe(true);
    // Hover the middle of the first chart: the tooltip names a commit, a date and values.
    const over = page.locator('.uplot .u-over').first();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = page.locator('#tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toMatch(/[0-9a-f]{7} · 2026-\d\d-\d\d \d\d:\d\d UTC · main.*p50: [\d.]+ ms/);
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(loadMs).toBeLessThan(20_000); // generous: a sanity bound, not a benchmark
    await page.close();
  });
  it("labels each defined metric's axis with its unit: a percent metric on 0–100 %, small ratios with ticks that differ", async () => {
    const rng = createRng(5);
    const dir = tempDir();
    const store = new DirStore(join(dir, 'history'));
    for (let i = 0; i < 40; i++) {
      const r = record(rng, {}, {}, i);
      r.scenarios[0]!.trials = r.scenarios[0]!.trials.map((t) => ({
        ...t,
        metrics: { cache_hit_rate: 0.85 + 0.1 * rng.next(), db_queries_per_request: 0.001 + 0.001 * rng.next() },
      }));
      r.units = { cache_hit_rate: 'fraction', db_queries_per_request: 'number' };
      await store.save(r);
    }
    const { file } = await runDashboard({ history: join(dir, 'history'), outDir: join(dir, 'dash') });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('.uplot canvas');
    const chartOf = (title: string) => page.locator('section.chart', { has: page.locator('h3', { hasText: title }) });
    const ticks = async (title: string): Promise<string[]> =>
      JSON.parse((await chartOf(title).getAttribute('data-y-ticks')) ?? '[]') as string[];

    expect(await chartOf('cache_hit_rate').locator('h3').textContent()).toBe('cache_hit_rate (%)');
    const percent = await ticks('cache_hit_rate');
    expect(percent.length).toBeGreaterThan(2);
    expect(percent.every((t) => / %$/.test(t))).toBe(true);
    const values = percent.map((t) => Number.parseFloat(t));
    expect(Math.min(...values)).toBe(0); // drawn on 0–100, not 0–1
    expect(Math.max(...values)).toBe(100);
    expect(new Set(percent).size).toBe(percent.length);
    // The hover shows the value in percent too.
    await chartOf('cache_hit_rate').locator('.u-over').hover(); // scrolled into view, the pointer at its middle
    await expect.poll(async () => (await page.locator('#tooltip').textContent()) ?? '').toMatch(/cache_hit_rate: (8\d|9\d)(\.\d+)? %/);

    const small = await ticks('db_queries_per_request');
    expect(small.length).toBeGreaterThan(2);
    expect(new Set(small).size).toBe(small.length); // no 0.002, 0.002, 0.001, 0.001
    for (const t of small) expect(Number(t)).toBeLessThan(0.01);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(OUT, 'dashboard-units.png'), fullPage: true });
    await page.close();
  });
});

describe.skipIf(!CHROMIUM)('report.md through a Markdown renderer, Mermaid through mermaid', () => {
  it('the trend block renders as a mermaid code block, parses and draws an SVG', async () => {
    const run = withStoredRuns(
      JSON.parse(readFileSync(join(REPO, 'fixtures', 'results', 'demo-pass.json'), 'utf8')) as RunResult,
      8,
      5,
      900,
    );
    const report = loadTemplate()(buildView(run));
    const html = await marked.parse(report);
    const block = /<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/.exec(html);
    expect(block, 'a ```mermaid block in the rendered report').not.toBeNull();
    const source = block![1]!
      .replace(/&quot;/g, '"')
      .replace(/&gt;/g, '>')
      .replace(/&lt;/g, '<')
      .replace(/&amp;/g, '&');
    const page = await browser.newPage({ locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
    await page.addScriptTag({ path: join(REPO, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js') });
    const outcome = await page.evaluate(async (text) => {
      const m = (
        window as unknown as {
          mermaid: {
            initialize(o: object): void;
            parse(t: string): Promise<unknown>;
            render(id: string, t: string): Promise<{ svg: string }>;
          };
        }
      ).mermaid;
      m.initialize({ startOnLoad: false });
      const parsed = await m.parse(text);
      const { svg } = await m.render('trend', text);
      return { parsed: Boolean(parsed), svg };
    }, source);
    expect(outcome.parsed).toBe(true);
    expect(outcome.svg).toContain('<svg');
    expect(outcome.svg).toContain('this run');
    expect(outcome.svg).toContain('p95 (ms)'); // the y axis says its unit
    expect(errors).toEqual([]);
    // A broken block is refused by the same parser, so the check above can fail.
    const broken = await page.evaluate(async () => {
      const m = (window as unknown as { mermaid: { parse(t: string): Promise<unknown> } }).mermaid;
      try {
        await m.parse('xychart-beta\n  x-axis [a, b\n  line [1, 2]');
        return 'parsed';
      } catch {
        return 'refused';
      }
    });
    expect(broken).toBe('refused');
    await page.close();
  });
});
