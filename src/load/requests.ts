// Scenario steps → requests on the wire. A workflow is a list of steps that each connection
// runs in order; values captured from a JSON response feed later steps. A failed step (a status
// the step does not expect, or a capture missing) restarts the workflow on that connection.
//
// What goes on the wire is checked, never trusted: paths are percent-encoded as UTF-8, header
// values that would carry CR, LF or other bytes a header cannot hold (from a captured value) make
// that request a workflow error and are never sent (the config refuses them up front).
import type { StepConfig } from '../config/types.js';
import type { WireRequest } from './connection.js';
import { encodePath, invalidHeaderValue } from '../util/http-syntax.js';

export interface WorkflowContext {
  vars?: Record<string, unknown>;
  failed?: boolean;
  /** Why the workflow failed, when perfgate should count it as a workflow error. */
  error?: string;
}

/** One step's request: fixed, or built per request from the workflow's captured values. */
export interface StepRequest {
  stepIndex: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (req: StepRequest, context: WorkflowContext) => StepRequest | null;
  onResponse?: (status: number, body: string, context: WorkflowContext) => void;
}

const VARIABLE = /\$\{([A-Za-z_]\w*)\}/g;
const WHOLE_VARIABLE = /^\$\{([A-Za-z_]\w*)\}$/;

/** Statuses that answer a request successfully: the step's `expect` list, or any 2xx and 3xx (redirects are not followed). */
export function isSuccess(status: number, expect: readonly number[] | undefined): boolean {
  return expect ? expect.includes(status) : status >= 200 && status < 400;
}

/** Thrown while building a request from captured values that cannot go on the wire. */
export class UnsendableValue extends Error {}

export function buildRequests(steps: StepConfig[]): StepRequest[] {
  const workflow = steps.length > 1;
  return steps.map((step, i) => {
    const dynamic = hasVariables(step);
    const req: StepRequest = {
      stepIndex: i,
      method: step.method,
      path: step.path,
      headers: { ...step.headers },
    };
    if (step.body !== undefined) req.body = step.body;
    if (step.json !== undefined && !dynamic) req.body = JSON.stringify(step.json);
    // The first step always builds: a failed workflow restarts there.
    if (i > 0 && (dynamic || workflow)) {
      req.setupRequest = (r, context) => {
        if (context.failed) return null;
        const vars = context.vars ?? {};
        const missing = (name: string): boolean => !(name in vars);
        if (needed(step).some(missing)) return null;
        return {
          ...r,
          path: interpolate(step.path, vars, (s, name) => pathValue(s, name, step.name)),
          headers: Object.fromEntries(
            Object.entries(step.headers).map(([k, v]) => [k, interpolate(v, vars, (s, name) => headerValue(s, name, k, step.name))]),
          ),
          body:
            step.json !== undefined
              ? JSON.stringify(substitute(step.json, vars))
              : step.body !== undefined
                ? interpolate(step.body, vars, String)
                : undefined,
        };
      };
    }
    if (workflow || Object.keys(step.capture).length) {
      req.onResponse = (status, body, context) => {
        if (!isSuccess(status, step.expect)) {
          context.failed = true;
          return;
        }
        const names = Object.entries(step.capture);
        if (!names.length) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          context.failed = true;
          context.error = `capture \`${names[0]![0]}\`: the response of step \`${step.name}\` is not JSON`;
          return;
        }
        context.vars ??= {};
        for (const [name, path] of names) {
          const value = pick(parsed, path);
          if (value === undefined) {
            context.failed = true;
            context.error = `capture \`${name}\`: no field \`${path}\` in the response of step \`${step.name}\``;
            return;
          }
          context.vars[name] = value;
        }
      };
    }
    return req;
  });
}

function pathValue(value: string, name: string, step: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    throw new UnsendableValue(
      `step \`${step}\`: captured \`${name}\` is not valid Unicode (a lone surrogate) and cannot go in a path; not sent`,
    );
  }
}

function headerValue(value: string, name: string, header: string, step: string): string {
  const bad = invalidHeaderValue(value);
  if (bad) throw new UnsendableValue(`step \`${step}\`: header \`${header}\` would carry ${bad} from captured \`${name}\`; not sent`);
  return value;
}

function hasVariables(step: StepConfig): boolean {
  return needed(step).length > 0;
}

function needed(step: StepConfig): string[] {
  const text = [step.path, step.body ?? '', JSON.stringify(step.json ?? null), ...Object.values(step.headers)].join('\n');
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1]!))];
}

/** `data.items.0.id` → the value at that path of a parsed JSON document. */
export function pick(doc: unknown, path: string): unknown {
  let node = doc;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export function interpolate(text: string, vars: Record<string, unknown>, encode: (s: string, name: string) => string): string {
  return text.replace(VARIABLE, (_, name: string) =>
    encode(typeof vars[name] === 'string' ? (vars[name] as string) : JSON.stringify(vars[name]), name),
  );
}

/** Deep copy of a JSON body where "${x}" strings become the captured value itself (keeping its type). */
export function substitute(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_VARIABLE.exec(value);
    if (whole) return vars[whole[1]!];
    return interpolate(value, vars, String);
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return value;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * HTTP/1.1 bytes of a request: Host (the user's own when a step sets one) and Content-Length
 * added; keep-alive is HTTP/1.1's default. `prefix` is the base URL's path.
 */
export function wire(req: Pick<StepRequest, 'method' | 'path' | 'headers' | 'body'>, host: string, prefix = ''): Buffer {
  const body = req.body === undefined ? null : Buffer.from(req.body, 'utf8');
  const userHost = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
  let head = `${req.method} ${encodePath(prefix + req.path)} HTTP/1.1\r\nHost: ${userHost ?? host}\r\n`;
  for (const [k, v] of Object.entries(req.headers)) {
    const name = k.toLowerCase();
    if (name === 'host' || name === 'content-length') continue;
    head += `${k}: ${v}\r\n`;
  }
  if (body || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/** A request that cannot be sent: the workflow fails with this reason. */
export interface Unsendable {
  error: string;
}

/** The steps ready to send: fixed ones serialised once, the others on each call. */
export class RequestPlan {
  private readonly fixed: (WireRequest | null)[];

  constructor(
    private readonly steps: StepRequest[],
    private readonly configs: StepConfig[],
    private readonly host: string,
    private readonly prefix = '',
  ) {
    this.fixed = steps.map((s, i) => (s.setupRequest ? null : this.toWire(s, i)));
  }

  get length(): number {
    return this.steps.length;
  }

  /**
   * The request of `step` for this workflow context; null when the workflow must restart; an
   * Unsendable when the captured values cannot go on the wire.
   */
  build(step: number, context: WorkflowContext): WireRequest | Unsendable | null {
    const fixed = this.fixed[step];
    if (fixed) return fixed;
    const s = this.steps[step]!;
    try {
      const built = s.setupRequest!(s, context);
      return built ? this.toWire(built, step) : null;
    } catch (err) {
      if (err instanceof UnsendableValue || err instanceof URIError) return { error: err.message };
      throw err;
    }
  }

  /** Whether a status answers this step successfully. */
  success(step: number, status: number): boolean {
    return isSuccess(status, this.configs[step]!.expect);
  }

  /** Hands a response to the step's capture logic. */
  onResponse(step: number, status: number, body: string | null, context: WorkflowContext): void {
    this.steps[step]!.onResponse?.(status, body ?? '', context);
  }

  private toWire(req: StepRequest, step: number): WireRequest {
    return {
      bytes: wire(req, this.host, this.prefix),
      head: req.method === 'HEAD',
      keepBody: Object.keys(this.configs[step]!.capture).length > 0,
      idempotent: IDEMPOTENT.has(req.method),
      step,
    };
  }
}
