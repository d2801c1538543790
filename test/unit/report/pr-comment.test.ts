import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildComment, COMMENT_LIMIT, commentMarker, resolvedComment } from '../../../src/report/pr-comment.js';
import { loadTemplate } from '../../../src/report/render.js';
import { buildView } from '../../../src/report/view.js';
import type { RunResult } from '../../../src/contract/result.js';

const recorded = (name: string): RunResult =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/results/${name}`, import.meta.url), 'utf8')) as RunResult;

describe('PR comment body', () => {
  const marker = commentMarker('demo-payments');

  it('starts with a hidden marker that is safe inside an HTML comment', () => {
    expect(marker).toBe('<!-- perfgate:demo%2Dpayments -->');
    expect(commentMarker('a -- b')).not.toMatch(/--.*--.*--/);
  });

  it('holds the whole report when it fits, with a link to the job summary', () => {
    const report = loadTemplate()(buildView(recorded('demo-pass.json')));
    const body = buildComment(report, { marker, summaryUrl: 'https://github.com/a/b/actions/runs/1' });
    expect(body.startsWith(`${marker}\n# demo-payments`)).toBe(true);
    expect(body).toContain(report.trim());
    expect(body).toContain('[job summary](https://github.com/a/b/actions/runs/1)');
  });

  it('over 65 536 characters: drops detail, keeps the verdict, targets and regression tables, says where the rest is', () => {
    const run = recorded('demo-crash.json');
    // A huge log tail and scenario detail push the report far past the limit.
    run.failure!.logTail = Array.from({ length: 4000 }, (_, i) => `log line ${i} ${'x'.repeat(40)}`);
    const report = loadTemplate()(buildView(run));
    expect(report.length).toBeGreaterThan(COMMENT_LIMIT);
    const body = buildComment(report, { marker, summaryUrl: 'https://x/run' });
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toContain('**Overall status:** ❌ **FAILED**');
    expect(body).toContain('## Performance Targets & Status');
    expect(body).toContain('## Executive summary');
    expect(body).toMatch(/> ✂️ Cut to fit a comment: .*The service crashed during load.* in the \[job summary\]\(https:\/\/x\/run\)/);
    // No code fence is left open.
    expect((body.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
  });

  it('even a report whose essentials exceed the limit is cut at a line, with fences closed', () => {
    const giant = `# t\n\n## Executive summary\n\n\`\`\`text\n${'y'.repeat(80_000)}\n\`\`\`\n`;
    const body = buildComment(giant, { marker, summaryUrl: null });
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect((body.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
  });

  it('a resolved comment keeps the marker and says the run passes', () => {
    const body = resolvedComment(marker, 'demo-payments', 'abcdef1234', null);
    expect(body.startsWith(marker)).toBe(true);
    expect(body).toContain('resolved');
    expect(body).toContain('`abcdef1`');
  });
});
