// Maps a path inside the parsed YAML (['scenarios', 1, 'connections']) to a line and column,
// and formats it the way messages show it (`scenarios[1].connections`).
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Line/column of the deepest node on `path` that exists. For a map entry the key's position is
 * used (the line a reader looks for); `onKey: false` points at the value instead.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly PathSegment[],
  onKey = true,
): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let best: number | undefined = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyPos = rangeStart(pair.key);
      const valuePos = rangeStart(pair.value);
      best = last && onKey ? (keyPos ?? valuePos ?? best) : (valuePos ?? keyPos ?? best);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      best = rangeStart(item) ?? best;
      node = item;
    } else {
      break;
    }
  }
  return best === undefined
    ? undefined
    : lines.linePos(best) && {
        line: lines.linePos(best).line,
        column: lines.linePos(best).col,
      };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
