// Pure arithmetic over stack profiles: merging processes, the hottest functions (self and total
// share of the service's sampled CPU, scaled to time per request) and, base against head, the
// functions whose self time grew beyond sampling noise. Within a profile a function is its name,
// file and first line; between builds the lines are aligned first (alignLines), so that a commit
// that only moves a function down the file changes nothing.
import type { FunctionGrowth, HotFunction, ProfileFrame, StackProfile } from '../contract/profile.js';

export const functionKey = (f: ProfileFrame): string => `${f.name}\u0000${f.file ?? ''}\u0000${f.line ?? ''}`;

/** One profile builder: frames interned, equal stacks summed. */
export class StackBuilder {
  readonly frames: ProfileFrame[] = [];
  private readonly frameIds = new Map<string, number>();
  private readonly stacks = new Map<string, { frames: number[]; weight: number }>();
  idle = 0;
  processes = 0;

  frame(f: ProfileFrame): number {
    const key = functionKey(f);
    let id = this.frameIds.get(key);
    if (id === undefined) {
      id = this.frames.length;
      this.frames.push(f);
      this.frameIds.set(key, id);
    }
    return id;
  }

  /** Adds a stack (root first) of frames. */
  add(stack: ProfileFrame[], weight: number): void {
    if (!(weight > 0) || !stack.length) return;
    const ids = stack.map((f) => this.frame(f));
    const key = ids.join(',');
    const s = this.stacks.get(key);
    if (s) s.weight += weight;
    else this.stacks.set(key, { frames: ids, weight });
  }

  build(kind: StackProfile['kind'], profiler: string): StackProfile {
    return { kind, profiler, frames: this.frames, stacks: [...this.stacks.values()], idle: this.idle, processes: this.processes };
  }
}

export const sampledWeight = (p: StackProfile): number => p.stacks.reduce((a, s) => a + s.weight, 0);

interface Shares {
  frame: ProfileFrame;
  self: number;
  total: number;
}

/** Each function's self and total share of the sampled (non-idle) weight. */
export function functionShares(p: StackProfile): Map<string, Shares> {
  const all = sampledWeight(p);
  const out = new Map<string, Shares>();
  if (all <= 0) return out;
  const get = (i: number): Shares => {
    const f = p.frames[i]!;
    const key = functionKey(f);
    let s = out.get(key);
    if (!s) out.set(key, (s = { frame: f, self: 0, total: 0 }));
    return s;
  };
  for (const st of p.stacks) {
    const seen = new Set<string>();
    st.frames.forEach((i, depth) => {
      const s = get(i);
      const key = functionKey(s.frame);
      // Recursion counts a function's total once per sample.
      if (!seen.has(key)) {
        seen.add(key);
        s.total += st.weight / all;
      }
      if (depth === st.frames.length - 1) s.self += st.weight / all;
    });
  }
  return out;
}

/**
 * The service's own code, as far as a path can tell: a file that is not the runtime's (`node:…`,
 * native, `<frozen …>`), a library's (node_modules, site- or dist-packages, a shared object), the
 * interpreter's (…/lib/pythonX.Y/), an installed launcher script's (/usr/bin/gunicorn) or the
 * kernel's (`[kernel.kallsyms]`).
 */
export function isOwnCode(f: ProfileFrame): boolean {
  const file = f.file;
  if (!file || file.startsWith('node:') || file.startsWith('<')) return false;
  return !/(^|\/)(node_modules|site-packages|dist-packages)\/|^\/usr\/lib\/python\d|\/lib\/python\d+\.\d+\/|^\/usr\/(local\/)?bin\/|\.so(\.\d+)*$|^\[/.test(
    file,
  );
}

/**
 * Only the stacks that pass through the service's own code: in a wall-clock view, the event
 * loop waiting for work, a thread pool's idle workers and a server's accept loop are the
 * runtime's and the libraries' time, not a request's.
 */
export function ownCodeStacks(p: StackProfile): StackProfile {
  return { ...p, stacks: p.stacks.filter((st) => st.frames.some((i) => isOwnCode(p.frames[i]!))) };
}

/** Per function outside own code: the own-code caller most of its (self) samples came through. */
function ownCallers(p: StackProfile): Map<string, ProfileFrame> {
  const weights = new Map<string, Map<string, { frame: ProfileFrame; w: number }>>();
  for (const st of p.stacks) {
    const leaf = p.frames[st.frames[st.frames.length - 1]!]!;
    if (isOwnCode(leaf)) continue;
    let caller: ProfileFrame | undefined;
    for (let i = st.frames.length - 2; i >= 0 && !caller; i--) if (isOwnCode(p.frames[st.frames[i]!]!)) caller = p.frames[st.frames[i]!]!;
    if (!caller) continue;
    const key = functionKey(leaf);
    let m = weights.get(key);
    if (!m) weights.set(key, (m = new Map()));
    const ck = functionKey(caller);
    const entry = m.get(ck) ?? { frame: caller, w: 0 };
    entry.w += st.weight;
    m.set(ck, entry);
  }
  const out = new Map<string, ProfileFrame>();
  for (const [key, m] of weights) out.set(key, [...m.values()].sort((a, b) => b.w - a.w)[0]!.frame);
  return out;
}

/** The `n` functions with the most self time (ties by total), scaled by the CPU time per request (µs) when known. */
export function hotFunctions(p: StackProfile, cpuPerRequestUs: number | null, n = 10): HotFunction[] {
  const callers = ownCallers(p);
  return [...functionShares(p).values()]
    .sort((a, b) => b.self - a.self || b.total - a.total)
    .slice(0, n)
    .map((s) => ({
      ...s.frame,
      calledFrom: callers.get(functionKey(s.frame)) ?? null,
      selfShare: s.self,
      totalShare: s.total,
      selfUs: cpuPerRequestUs === null ? null : s.self * cpuPerRequestUs,
      totalUs: cpuPerRequestUs === null ? null : s.total * cpuPerRequestUs,
    }));
}

/** Each function's total (inclusive) weight, by key. */
function totalWeights(p: StackProfile): Map<string, { frame: ProfileFrame; w: number }> {
  const out = new Map<string, { frame: ProfileFrame; w: number }>();
  for (const st of p.stacks)
    for (const i of new Set(st.frames)) {
      const f = p.frames[i]!;
      const key = functionKey(f);
      const e = out.get(key) ?? { frame: f, w: 0 };
      e.w += st.weight;
      out.set(key, e);
    }
  return out;
}

/**
 * The base profile with each function's first line rewritten to the line of the same function in
 * the head, so that base and head match by function and file, not by where the function starts.
 * A commit that inserts lines above a function moves it (and everything below) by one shift: per
 * file, the shift that matches the most weight (the smaller of the two shares, summed over
 * functions of the same name) is taken first, then the next among what is left, until no pair of
 * same-named functions is left. A name that occurs once in the file on each side is matched
 * whatever its shift; anonymous functions (several of one name) by their common shift.
 */
export function alignLines(base: StackProfile, head: StackProfile): StackProfile {
  type Fn = { name: string; file: string; line: number; share: number };
  const byFile = (p: StackProfile): Map<string, Fn[]> => {
    const all = sampledWeight(p) || 1;
    const out = new Map<string, Fn[]>();
    for (const { frame, w } of totalWeights(p).values()) {
      if (frame.file === null || frame.line === null) continue;
      const list = out.get(frame.file) ?? [];
      list.push({ name: frame.name, file: frame.file, line: frame.line, share: w / all });
      out.set(frame.file, list);
    }
    return out;
  };
  const heads = byFile(head);
  const moved = new Map<string, number>();
  for (const [file, bs] of byFile(base)) {
    const hs = heads.get(file);
    if (!hs) continue;
    const freeB = new Set(bs);
    const freeH = new Set(hs);
    for (;;) {
      const score = new Map<number, number>();
      for (const b of freeB)
        for (const h of freeH)
          if (h.name === b.name) score.set(h.line - b.line, (score.get(h.line - b.line) ?? 0) + Math.min(b.share, h.share));
      if (!score.size) break;
      const shift = [...score].sort((x, y) => y[1] - x[1] || Math.abs(x[0]) - Math.abs(y[0]))[0]![0];
      for (const b of [...freeB]) {
        const h = [...freeH].find((x) => x.name === b.name && x.line - b.line === shift);
        if (!h) continue;
        freeB.delete(b);
        freeH.delete(h);
        if (shift) moved.set(functionKey(b), h.line);
      }
    }
  }
  if (!moved.size) return base;
  return { ...base, frames: base.frames.map((f) => (moved.has(functionKey(f)) ? { ...f, line: moved.get(functionKey(f))! } : f)) };
}

/** How many standard deviations of sampling noise a growth must exceed to be named. */
export const GROWTH_Z = 3;

/**
 * The functions whose self time per request grew most from base to head (by share of service CPU
 * where either side lacks CPU time per request); only those that grew by more than GROWTH_Z
 * standard deviations of sampling noise (a share read from n samples scatters by
 * √(p(1−p)/n)). Base lines are aligned onto the head's first (alignLines).
 */
export function functionGrowth(
  base: StackProfile,
  head: StackProfile,
  baseCpuUs: number | null,
  headCpuUs: number | null,
  n = 10,
): FunctionGrowth[] {
  const b = functionShares(alignLines(base, head));
  const h = functionShares(head);
  const nb = sampledWeight(base);
  const nh = sampledWeight(head);
  const perRequest = baseCpuUs !== null && headCpuUs !== null;
  const callers = ownCallers(head);
  const rows: FunctionGrowth[] = [];
  for (const key of new Set([...b.keys(), ...h.keys()])) {
    const x = b.get(key);
    const y = h.get(key);
    const frame = (y ?? x)!.frame;
    const baseSelfUs = perRequest ? (x?.self ?? 0) * baseCpuUs : null;
    const headSelfUs = perRequest ? (y?.self ?? 0) * headCpuUs : null;
    rows.push({
      ...frame,
      calledFrom: callers.get(key) ?? null,
      baseSelfShare: x?.self ?? 0,
      headSelfShare: y?.self ?? 0,
      baseTotalShare: x?.total ?? 0,
      headTotalShare: y?.total ?? 0,
      baseSelfUs,
      headSelfUs,
      selfUsDelta: perRequest ? headSelfUs! - baseSelfUs! : null,
    });
  }
  const growth = (r: FunctionGrowth): number => r.selfUsDelta ?? r.headSelfShare - r.baseSelfShare;
  // Sampling noise of the growth, in its own unit (µs per request, or share).
  const noise = (r: FunctionGrowth): number => {
    // A side without samples is unknown, unless it had no time to sample (a wall view where no
    // request waited in own code: 0 µs per request, exactly).
    const sd = (p: number, n: number, scale: number): number => (n > 0 ? scale * Math.sqrt((p * (1 - p)) / n) : scale === 0 ? 0 : Infinity);
    return Math.hypot(
      sd(r.baseSelfShare, nb, perRequest ? (baseCpuUs ?? 1) : 1),
      sd(r.headSelfShare, nh, perRequest ? (headCpuUs ?? 1) : 1),
    );
  };
  return rows
    .filter((r) => growth(r) > 0 && growth(r) > GROWTH_Z * noise(r))
    .sort((a, b) => growth(b) - growth(a))
    .slice(0, n);
}
