// "Where the time went": the profiled trial in words and tables, for the report and the PR
// comment. In A/B mode it names the functions whose self time per request grew most, head
// against base; in a plain run the hottest functions. Every name and path came from the
// service, so every one is escaped. Pure.
import type { FunctionGrowth, HotFunction, ProfiledScenario, ProfiledSide, ProfileFrame, ProfileResult } from '../contract/profile.js';
import { code, md } from './markdown.js';

/** A share as a percentage: one decimal below 10 %. */
export const sharePct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
const pct = sharePct;
const pp = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} pp`;

/** A time per request: µs below 0.1 ms, else ms. */
export function perRequest(us: number | null, signed = false): string {
  if (us === null) return '–';
  const sign = signed ? (us >= 0 ? '+' : '−') : '';
  const a = Math.abs(us);
  return a < 100 ? `${sign}${a.toFixed(a < 10 ? 1 : 0)} µs` : `${sign}${(a / 1000).toFixed(2)} ms`;
}

export const where = (f: ProfileFrame): string => (f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '(native)');

/** "`work` in `server.js:137`"; outside the service's own code, where it was called from. */
export function functionText(f: ProfileFrame & { calledFrom?: ProfileFrame | null }): string {
  const from = f.calledFrom ? `, called from ${code(f.calledFrom.name)} in ${code(where(f.calledFrom))}` : '';
  return `${code(f.name)} in ${code(where(f))}${from}`;
}

/** "`work` in `app.py:12`: 31 % → 46 % of service CPU (+15.0 pp); self time per request +0.41 ms" */
export function growthSentence(g: FunctionGrowth): string {
  const time = g.selfUsDelta === null ? '' : `; self time per request ${perRequest(g.selfUsDelta, true)}`;
  return `${functionText(g)}: ${pct(g.baseSelfShare)} → ${pct(g.headSelfShare)} of service CPU (${pp(g.headSelfShare - g.baseSelfShare)})${time}`;
}

/** "+2.1 ms per request in `sleep` in `…/asyncio/tasks.py:593`, called from `price` in `app.py:58` (0.10 ms → 2.2 ms)" */
export function waitSentence(g: FunctionGrowth): string {
  return `${perRequest(g.selfUsDelta, true)} per request in ${functionText(g)} (${perRequest(g.baseSelfUs)} → ${perRequest(g.headSelfUs)} of wall time)`;
}

/** Where requests wait longer, per scenario (A/B with a wall-clock view on both builds); nothing otherwise. */
export function waitHeadline(sc: ProfiledScenario, n = 2): string[] {
  return (sc.waits ?? []).slice(0, n).map((g) => `- ${md(sc.scenario)}: ${waitSentence(g)}`);
}

function waitsTable(waits: FunctionGrowth[], n: number): string[] {
  if (!waits.length) return [];
  return [
    '| Function (wall time: running or waiting) | Where | Per request, base → head | Change / request |',
    '|---|---|---|---|',
    ...waits
      .slice(0, n)
      .map(
        (g) =>
          `| ${code(g.name)} | ${code(where(g))} | ${perRequest(g.baseSelfUs)} → ${perRequest(g.headSelfUs)} | ${perRequest(g.selfUsDelta, true)} |`,
      ),
  ];
}

/** The wall-clock view's words: what was sampled, and where requests wait longer. */
function waitLines(p: ProfileResult, tables: boolean): string[] {
  const withWall = p.scenarios.filter((sc) => sc.waits);
  if (!withWall.length) return [];
  const lines = withWall.flatMap((sc) => waitHeadline(sc));
  const out = [
    '**Where requests wait longer (wall time, head against base)**',
    '',
    lines.length ? lines.join('\n') : "- no function's wall time per request grew beyond sampling noise.",
    '',
  ];
  if (tables) for (const sc of withWall) if (sc.waits!.length) out.push(`*${md(sc.scenario)}*`, '', ...waitsTable(sc.waits!, 8), '');
  return out;
}

/** The profiler's cost: the profiled trial against the unprofiled one run just before it. */
function overhead(s: ProfiledSide): string {
  const parts: string[] = [];
  if (s.rps !== null && s.referenceRps)
    parts.push(`${Math.round(s.rps)} req/s against ${Math.round(s.referenceRps)} unprofiled (${signedPct(s.rps / s.referenceRps - 1)})`);
  if (s.cpuPerRequestUs !== null && s.referenceCpuPerRequestUs)
    parts.push(
      `CPU per request ${perRequest(s.cpuPerRequestUs)} against ${perRequest(s.referenceCpuPerRequestUs)} (${signedPct(s.cpuPerRequestUs / s.referenceCpuPerRequestUs - 1)})`,
    );
  return parts.join(', ');
}

const signedPct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} %`;

function sideLine(s: ProfiledSide): string {
  if (!s.profiler) return `- ${s.side}: no profile: ${md(s.note ?? 'no reason given')}`;
  const cost = overhead(s);
  return `- ${s.side}: ${md(s.profiler)}, ${s.samples} samples${cost ? `; profiler's cost: ${cost}` : ''}${s.note ? ` (${md(s.note)})` : ''}`;
}

function topTable(sides: ProfiledSide[], n: number): string[] {
  const withTop = sides.filter((s) => s.top.length);
  if (!withTop.length) return [];
  const rows: string[] = [];
  for (const s of withTop)
    for (const f of s.top.slice(0, n))
      rows.push(
        `| ${s.side} | ${code(f.name)} | ${code(where(f))} | ${pct(f.selfShare)} | ${perRequest(f.selfUs)} | ${pct(f.totalShare)} | ${perRequest(f.totalUs)} |`,
      );
  return ['| Build | Function | Where | Self | Self / request | Total | Total / request |', '|---|---|---|---|---|---|---|', ...rows];
}

function growthTable(growth: FunctionGrowth[], n: number): string[] {
  if (!growth.length) return [];
  return [
    '| Function | Where | Self, base → head | Self / request, base → head | Change / request | Total, base → head |',
    '|---|---|---|---|---|---|',
    ...growth
      .slice(0, n)
      .map(
        (g) =>
          `| ${code(g.name)} | ${code(where(g))} | ${pct(g.baseSelfShare)} → ${pct(g.headSelfShare)} | ${perRequest(g.baseSelfUs)} → ${perRequest(g.headSelfUs)} | ${perRequest(g.selfUsDelta, true)} | ${pct(g.baseTotalShare)} → ${pct(g.headTotalShare)} |`,
      ),
  ];
}

/** The headline per scenario: what grew most (A/B), or what is hottest (a plain run). */
export function headline(sc: ProfiledScenario, n = 3): string[] {
  const missing = sc.sides.filter((s) => !s.profiler);
  if (sc.sides.length > 1 && missing.length)
    return [
      `- ${md(sc.scenario)}: not compared: ${missing.map((s) => `no profile of the ${s.side} build (${md(s.note ?? 'no reason given')})`).join('; ')}`,
    ];
  if (sc.growth) {
    if (!sc.growth.length) return [`- ${md(sc.scenario)}: no function's self time grew beyond sampling noise.`];
    return sc.growth.slice(0, n).map((g) => `- ${md(sc.scenario)}: ${growthSentence(g)}`);
  }
  const head = sc.sides.find((s) => s.side === 'head');
  if (!head?.top.length) return [`- ${md(sc.scenario)}: no profile${head?.note ? `: ${md(head.note)}` : ''}`];
  return head.top
    .slice(0, n)
    .map(
      (f: HotFunction) =>
        `- ${md(sc.scenario)}: ${functionText(f)}: ${pct(f.selfShare)} of service CPU; self time per request ${perRequest(f.selfUs)}`,
    );
}

/** The report's section: why profiled, the headline, then per scenario the profilers, their cost, the tables and the files. */
export function profileLines(p: ProfileResult): string[] {
  const ab = p.scenarios.some((s) => s.sides.length > 1);
  const out = [
    `Profiled because ${md(p.why)}: after the measured trials, ${ab ? 'each build' : 'the service'} was started once more and every scenario ran an unprofiled trial, then one under a sampling profiler (neither is part of any judged figure; their difference is the profiler's cost). Shares are of the service's sampled CPU; time per request is a share times the measured CPU time per request.`,
    '',
  ];
  if (!p.scenarios.length) return out;
  out.push(ab ? '**Functions whose self time grew most (head against base)**' : '**Hottest functions (self time)**', '');
  for (const sc of p.scenarios) out.push(...headline(sc));
  out.push('');
  out.push(...waitLines(p, true));
  for (const sc of p.scenarios) {
    out.push(`### Scenario ${md(sc.scenario)}`, '', ...sc.sides.map(sideLine), '');
    if (sc.growth?.length) out.push(...growthTable(sc.growth, 10), '');
    const top = topTable(sc.sides, 8);
    if (top.length) out.push(...top, '');
    const files = [
      ...sc.sides.filter((s) => s.files).map((s) => `${s.side}: ${code(s.files!.flameGraph)} (speedscope: ${code(s.files!.speedscope)})`),
      ...(sc.diffFile ? [`differential: ${code(sc.diffFile)}`] : []),
      ...sc.sides.filter((s) => s.wall?.files).map((s) => `${s.side}, wall clock: ${code(s.wall!.files!.flameGraph)}`),
    ];
    if (files.length) out.push(`Flame graphs: ${files.join('; ')}.`, '');
  }
  if (p.index) out.push(`All of them, linked: ${code(p.index)} (upload the out dir as an artifact to keep them).`, '');
  return out;
}

/** The PR comment's part: the headline, and the tables folded. */
export function profileCommentLines(p: ProfileResult): string[] {
  if (!p.scenarios.length) return [`**Where the time went**: ${md(p.why)}.`, ''];
  const ab = p.scenarios.some((s) => s.sides.length > 1);
  const out = [`**Where the time went** (${ab ? 'profiled on both builds' : 'profiled'}: ${md(p.why)})`, ''];
  for (const sc of p.scenarios) out.push(...headline(sc));
  out.push('');
  out.push(...waitLines(p, false));
  const details: string[] = [];
  for (const sc of p.scenarios) {
    details.push(`**${md(sc.scenario)}**`, '', ...sc.sides.map(sideLine), '');
    if (sc.growth?.length) details.push(...growthTable(sc.growth, 5), '');
    else details.push(...topTable(sc.sides, 5), '');
  }
  out.push(
    '<details><summary>Profiles: profilers, their cost, top functions</summary>',
    '',
    ...details,
    `Flame graphs: ${code(p.index ?? 'profiles/index.html')} in the run's artifact (the out dir).`,
    '',
    '</details>',
    '',
  );
  return out;
}
