// JSON-schema errors → messages a person can act on: the YAML path, its line, and "did you mean"
// for a misspelt key.
import { type ErrorObject } from 'ajv';
import { LineCounter, type Document } from 'yaml';
import { type ConfigProblem } from '../util/errors.js';
import { formatPath, locate, type PathSegment } from './yaml-locate.js';

export function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

// ---- schema errors → located, readable problems ----

export function schemaProblems(errors: ErrorObject[], data: unknown, doc: Document, lines: LineCounter): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  const relevant = errors.filter((e) => {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') return false;
    // For `string | object` unions, a wrong object also fails the string branch with a `type`
    // error at the same spot: drop it when a more specific error exists inside.
    if (e.keyword === 'type' || e.keyword === 'const') {
      const inUnion = /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath);
      const deeper = errors.some(
        (o) =>
          o !== e &&
          o.keyword !== 'anyOf' &&
          o.keyword !== 'oneOf' &&
          o.keyword !== 'type' &&
          o.keyword !== 'const' &&
          o.instancePath.startsWith(e.instancePath),
      );
      if (inUnion && deeper) return false;
    }
    return true;
  });
  for (const e of relevant) {
    const path = toSegments(e.instancePath, data);
    let message: string;
    let target = path;
    let onKey = true;
    switch (e.keyword) {
      case 'required':
        message = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        target = [...path, key];
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        const guess = closest(key, allowed);
        message = `unknown key "${key}"${guess ? `; did you mean "${guess}"?` : allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`;
        break;
      }
      case 'format':
        onKey = false;
        message =
          (e.params as { format: string }).format === 'duration'
            ? `${show(valueAt(data, path))} is not a duration: write a number with a unit, e.g. 500ms, 10s, 2m`
            : (e.params as { format: string }).format === 'percent'
              ? `${show(valueAt(data, path))} is not a percent: write e.g. 5% or 0.5%`
              : (e.params as { format: string }).format === 'size'
                ? `${show(valueAt(data, path))} is not a size: write e.g. 5MB`
                : (e.message ?? 'invalid');
        break;
      case 'enum':
        onKey = false;
        message = `${show(valueAt(data, path))} is not allowed; use one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
        break;
      case 'type':
        onKey = false;
        if (e.schemaPath.startsWith('#/definitions/duration/')) {
          message = `${show(valueAt(data, path))} is not a duration: write a number with a unit, e.g. 500ms, 10s, 2m`;
          break;
        }
        message = `must be ${String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ')}, got ${show(valueAt(data, path))}`;
        break;
      case 'const':
        onKey = false;
        message = `${show(valueAt(data, path))} is not allowed here`;
        break;
      case 'pattern':
        onKey = false;
        message =
          path[path.length - 1] === 'path'
            ? `must start with "/", got ${show(valueAt(data, path))}`
            : `${show(valueAt(data, path))} ${e.message ?? 'is invalid'}`;
        break;
      default:
        onKey = false;
        message = `${e.message ?? 'is invalid'}${path.length ? `, got ${show(valueAt(data, path))}` : ''}`;
    }
    const p: ConfigProblem = {
      path: formatPath(target),
      ...locate(doc, lines, target, onKey),
      message,
    };
    const key = `${p.path}|${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  }
  // A `port` union failure leaves only a const/type error that we filtered as "in union"
  // when nothing deeper exists; make sure at least one problem is reported.
  if (!out.length && errors[0]) {
    const path = toSegments(errors[0].instancePath, data);
    out.push({
      path: formatPath(path),
      ...locate(doc, lines, path, false),
      message: `${show(valueAt(data, path))} is not valid here`,
    });
  }
  return out;
}

function toSegments(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const segs: PathSegment[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(node) ? Number(key) : key;
    segs.push(seg);
    node = (node as Record<string | number, unknown> | undefined)?.[seg];
  }
  return segs;
}

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let node = data;
  for (const seg of path) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  return node;
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function closest(word: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const option of options) {
    const d = editDistance(word.toLowerCase(), option.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = option;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
