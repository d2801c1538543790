// Scenario steps → requests on the wire. A workflow is a list of steps that each connection
// runs in order; values captured from a JSON response feed later steps. A failed step (non-2xx,
// or a capture missing) restarts the workflow on that connection.
import type { StepConfig } from '../config/types.js';
import type { WireRequest } from './connection.js';

export interface WorkflowContext {
  vars?: Record<string, unknown>;
  failed?: boolean;
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
          path: interpolate(step.path, vars, encodeURIComponent),
          headers: Object.fromEntries(Object.entries(step.headers).map(([k, v]) => [k, interpolate(v, vars, String)])),
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
        if (status < 200 || status >= 300) {
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
          return;
        }
        context.vars ??= {};
        for (const [name, path] of names) {
          const value = pick(parsed, path);
          if (value === undefined) context.failed = true;
          else context.vars[name] = value;
        }
      };
    }
    return req;
  });
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

export function interpolate(text: string, vars: Record<string, unknown>, encode: (s: string) => string): string {
  return text.replace(VARIABLE, (_, name: string) =>
    encode(typeof vars[name] === 'string' ? (vars[name] as string) : JSON.stringify(vars[name])),
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

/** HTTP/1.1 bytes of a request (Host and Content-Length added; keep-alive is HTTP/1.1's default). */
export function wire(req: Pick<StepRequest, 'method' | 'path' | 'headers' | 'body'>, host: string): Buffer {
  const body = req.body === undefined ? null : Buffer.from(req.body, 'utf8');
  let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [k, v] of Object.entries(req.headers)) {
    const name = k.toLowerCase();
    if (name === 'host' || name === 'content-length') continue;
    head += `${k}: ${v}\r\n`;
  }
  if (body || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/** The steps ready to send: fixed ones serialised once, the others on each call. */
export class RequestPlan {
  private readonly fixed: (WireRequest | null)[];

  constructor(
    private readonly steps: StepRequest[],
    private readonly configs: StepConfig[],
    private readonly host: string,
  ) {
    this.fixed = steps.map((s, i) => (s.setupRequest ? null : this.toWire(s, i)));
  }

  get length(): number {
    return this.steps.length;
  }

  /** The request of `step` for this workflow context, or null when the workflow must restart. */
  build(step: number, context: WorkflowContext): WireRequest | null {
    const fixed = this.fixed[step];
    if (fixed) return fixed;
    const s = this.steps[step]!;
    const built = s.setupRequest!(s, context);
    return built ? this.toWire(built, step) : null;
  }

  /** Hands a response to the step's capture logic. */
  onResponse(step: number, status: number, body: string | null, context: WorkflowContext): void {
    this.steps[step]!.onResponse?.(status, body ?? '', context);
  }

  private toWire(req: StepRequest, step: number): WireRequest {
    return {
      bytes: wire(req, this.host),
      head: req.method === 'HEAD',
      keepBody: Object.keys(this.configs[step]!.capture).length > 0,
      idempotent: IDEMPOTENT.has(req.method),
      step,
    };
  }
}
