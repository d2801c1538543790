// The profilers' own output formats read into one shape (StackProfile): V8's .cpuprofile,
// perfgate's Python sampler (JSON), austin's collapsed stacks and `perf script` text.
import { fileURLToPath } from 'node:url';
import type { ProfileFrame } from '../contract/profile.js';
import { StackBuilder } from './stacks.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  /** Samples per source line (1-based) inside this node's code. */
  positionTicks?: { line: number; ticks: number }[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

const V8_IDLE = '(idle)';
/** The Node.js agent perfgate loads into a profiled service (templates/profilers). */
const AGENT_SCRIPT = '/profilers/node-agent.cjs';

/**
 * A V8 CPU profile: each sample's node, its path from the root; "(idle)" kept apart, "(root)"
 * dropped. Optimised code carries the functions inlined into it: V8 charges their samples to the
 * caller, but its line ticks still point into the inlined function's body. A tick on a line
 * above the caller's own first line cannot be the caller's code, so it goes to the function of
 * that script that starts nearest above the line (as a callee of the caller). V8 may also put
 * an inlined callee's ticks on the line of the call itself (`work(n);`): a tick on a line of the
 * caller that only calls a function of the same script goes to that function.
 */
export function readCpuProfile(
  profile: CpuProfile,
  into = new StackBuilder(),
  /** The functions a script defines (read from its source): inlined functions the profile never names. */
  defined: (file: string) => ProfileFrame[] = () => [],
  /** The script's function a line does nothing but call (from its source), if any. */
  callOn: (file: string, line: number) => ProfileFrame | undefined = () => undefined,
): StackBuilder {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const starts = functionStarts(profile.nodes, defined);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map<number, number>();
  for (const id of profile.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) {
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === V8_IDLE) {
      into.idle += count;
      continue;
    }
    const stack: ProfileFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (parent.get(cur) === undefined && n.callFrame.functionName === '(root)') break;
      stack.push(v8Frame(n.callFrame));
    }
    // perfgate's own agent (its wall-clock view noting each wait) is the profiler's cost, not the service's.
    if (stack.some((f) => f.file?.endsWith(AGENT_SCRIPT))) continue;
    stack.reverse();
    let own = count;
    const own0 = node.callFrame.lineNumber + 1;
    const file = v8Frame(node.callFrame).file;
    // Line ticks can cover fewer samples than the node has (V8 counts them per hit): they say how
    // the node's samples split over its lines, so each line gets its proportion of them.
    const tickSum = (node.positionTicks ?? []).reduce((a, t) => a + Math.max(0, t.ticks), 0);
    const scale = tickSum > 0 && tickSum < count ? count / tickSum : 1;
    for (const t of node.positionTicks ?? []) {
      if (t.ticks <= 0) continue;
      const called = t.line > own0 && file ? callOn(file, t.line) : undefined;
      const inlined =
        t.line < own0 ? nearestAbove(starts.get(node.callFrame.url) ?? [], t.line) : called?.line !== own0 ? called : undefined;
      if (!inlined) continue;
      const ticks = Math.min(Math.round(t.ticks * scale), own);
      into.add([...stack, inlined], ticks);
      own -= ticks;
    }
    into.add(stack, own);
  }
  into.processes++;
  return into;
}

function nearestAbove(frames: ProfileFrame[], line: number): ProfileFrame | undefined {
  let found: ProfileFrame | undefined;
  for (const f of frames) if (f.line! <= line) found = f;
  return found;
}

/** Per script, the functions the profile names, by first line (ascending). */
function functionStarts(nodes: CpuProfileNode[], defined: (file: string) => ProfileFrame[]): Map<string, ProfileFrame[]> {
  const out = new Map<string, Map<number, ProfileFrame>>();
  for (const n of nodes) {
    const cf = n.callFrame;
    if (!cf.url || cf.lineNumber < 0) continue;
    let m = out.get(cf.url);
    if (!m) {
      out.set(cf.url, (m = new Map()));
      const file = v8Frame(cf).file;
      for (const f of file ? defined(file) : []) m.set(f.line!, f);
    }
    m.set(cf.lineNumber + 1, v8Frame(cf));
  }
  return new Map([...out].map(([url, m]) => [url, [...m.values()].sort((a, b) => a.line! - b.line!)]));
}

const JS_FUNCTION = [
  /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(/,
  /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/,
  /^\s*(?:static\s+)?(?:async\s+)?\*?([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*\{\s*$/,
];
const NOT_A_NAME = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'function']);

/**
 * The lines of a JavaScript source that do nothing but call one of the functions it defines
 * (`work(n);`, `return slowdown(t);`, `await price(id);`), by line (1-based).
 */
export function jsCallLines(source: string, functions: ProfileFrame[]): Map<number, ProfileFrame> {
  const byName = new Map(functions.map((f) => [f.name, f]));
  const out = new Map<number, ProfileFrame>();
  source.split('\n').forEach((text, i) => {
    const name = /^\s*(?:return\s+|await\s+|(?:const|let|var)\s+[\w$]+\s*=\s*(?:await\s+)?)?([A-Za-z_$][\w$]*)\s*\([^()]*\)\s*;?\s*$/.exec(
      text,
    )?.[1];
    const f = name ? byName.get(name) : undefined;
    if (f) out.set(i + 1, f);
  });
  return out;
}

/** The named functions a JavaScript source defines, by line (1-based): a light scan, not a parser. */
export function jsFunctions(source: string, file: string): ProfileFrame[] {
  const out: ProfileFrame[] = [];
  source.split('\n').forEach((text, i) => {
    for (const re of JS_FUNCTION) {
      const name = re.exec(text)?.[1];
      if (name && !NOT_A_NAME.has(name)) {
        out.push({ name, file, line: i + 1 });
        return;
      }
    }
  });
  return out;
}

function v8Frame(cf: CpuProfileNode['callFrame']): ProfileFrame {
  const native = !cf.url;
  return {
    name: cf.functionName || (native ? '(native)' : '(anonymous)'),
    file: native ? null : cf.url.startsWith('file://') ? safeFilePath(cf.url) : cf.url,
    line: native || cf.lineNumber < 0 ? null : cf.lineNumber + 1,
  };
}

function safeFilePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

interface SamplerStacks {
  frames: [string, string, number][];
  samples: { stack: number[]; count: number }[];
}

export interface SamplerOutput extends SamplerStacks {
  /** The wall-clock view: every thread's stack and every pending asyncio task's awaits (Python) or every pending wait's stack (the Node.js agent), every intervalUs. */
  wall?: SamplerStacks & { intervalUs: number };
}

function readStacks(out: SamplerStacks, into: StackBuilder): StackBuilder {
  const frames = out.frames.map(([name, file, line]): ProfileFrame => ({ name, file: file || null, line: line > 0 ? line : null }));
  for (const s of out.samples) into.add(s.stack.map((i) => frames[i]!).filter(Boolean), s.count);
  into.processes++;
  return into;
}

/** perfgate's Python sampler: stacks of (qualified name, file, first line), root first. */
export function readSampler(out: SamplerOutput, into = new StackBuilder()): StackBuilder {
  return readStacks(out, into);
}

/** The sampler's wall-clock view (null when it wrote none): weights are samples of wall time. */
export function readSamplerWall(out: SamplerOutput, into = new StackBuilder()): StackBuilder | null {
  return out.wall ? readStacks(out.wall, into) : null;
}

/** A wall-clock view on its own (the Node.js agent's `.wall.json`): weights are samples of wall time. */
export function readWall(wall: NonNullable<SamplerOutput['wall']>, into = new StackBuilder()): StackBuilder {
  return readStacks(wall, into);
}

/**
 * austin's samples, a line per sample and thread, the metric (µs) last:
 * - 1.x: `Process P;Thread T;fn (file);L12;fn2 (file2);L30 <µs>`
 * - 2.x and 3.x: `P<pid>;T<iid>:<tid>;file:fn:12;file2:fn2:30 <µs>` (3.x also writes `# key: value`
 *   metadata lines first).
 * A frame's line is the line running in it, not the function's own, so frames are keyed by name
 * and file. A thread without frames is idle; perfgate's own sampler thread (sitecustomize.py's
 * poller, asleep) is left out.
 */
export function readAustin(text: string, into = new StackBuilder()): StackBuilder {
  const pids = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    if (cut < 0) continue;
    if (!Number.isFinite(Number(line.slice(cut + 1)))) continue;
    const stack: ProfileFrame[] = [];
    for (const part of line.slice(0, cut).split(';')) {
      if (/^L\d+$/.test(part)) continue;
      const process = /^(?:Process |P)(\d+)$/.exec(part);
      if (process) {
        pids.add(process[1]!);
        continue;
      }
      if (/^Thread /.test(part) || /^T[\w:]+$/.test(part)) continue;
      const old = /^(.*) \((.*)\)$/.exec(part);
      if (old) {
        stack.push({ name: old[1]!, file: old[2]!, line: null });
        continue;
      }
      const frame = /^(.*):([^:]+):\d+$/.exec(part);
      if (frame) stack.push({ name: frame[2]!, file: frame[1]!, line: null });
    }
    if (stack.some((f) => f.file?.endsWith('/profilers/python/sitecustomize.py'))) continue;
    if (stack.length) into.add(stack, 1);
    else into.idle++;
  }
  into.processes += Math.max(1, pids.size);
  return into;
}

/**
 * `perf script` text: a header line per sample, then one frame per line (leaf first) as
 * `addr symbol+off (dso)`, then a blank line. An unknown symbol is named after its object file.
 */
export function readPerfScript(text: string, into = new StackBuilder()): StackBuilder {
  const pids = new Set<string>();
  let frames: ProfileFrame[] | null = null;
  const flush = (): void => {
    if (frames?.length) into.add([...frames].reverse(), 1);
    frames = null;
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      flush();
      continue;
    }
    if (!/^\s/.test(line)) {
      flush();
      frames = [];
      const pid = /\s(\d+)(?:\/\d+)?\s/.exec(line);
      if (pid) pids.add(pid[1]!);
      continue;
    }
    const m = /^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/.exec(line);
    if (!m || !frames) continue;
    const dso = m[2]!;
    const symbol = m[1]!.replace(/\+0x[0-9a-f]+$/, '');
    const known = symbol && symbol !== '[unknown]';
    frames.push({
      name: known ? symbol : `[${dso === '[unknown]' ? 'unknown' : (dso.split('/').pop() ?? dso)}]`,
      file: dso === '[unknown]' ? null : dso,
      line: null,
    });
  }
  flush();
  into.processes += pids.size;
  return into;
}
