// One load connection ("virtual user"): a TCP (or TLS) socket speaking HTTP/1.1, one request at
// a time. It keeps its workflow state across sockets: when the server closes the connection (say
// `Connection: close` after every response, as gunicorn's sync workers and Python's http.server
// do), the response is complete when it has been read, the socket is replaced, and the next
// request goes out on the new one once its handshake is done. Latency runs from the request
// being written to the final response being read; the handshake (TCP, and TLS for https) is
// reported on its own. Interim responses (1xx: 100 Continue, 103 Early Hints) are skipped: the
// request's answer is the final response that follows them.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { HTTPParser } from 'http-parser-js';
import type { LookupFunction } from 'node:net';
import { tlsHint } from '../util/http-syntax.js';

export interface TlsTarget {
  /** Accept any certificate (self-signed): the connection is still encrypted. */
  insecure: boolean;
  /** PEM of a private CA to trust (besides the system's). */
  ca?: string;
  /** SNI name (absent for an IP address). */
  servername?: string;
}

export interface Target {
  host: string;
  port: number;
  /** Value of the Host header. */
  hostHeader: string;
  /** The base URL's path ("/api/v1"), put before every step's path; "" for none. */
  pathPrefix: string;
  /** https: the TLS settings. */
  tls?: TlsTarget;
  /** How long a TCP (and TLS) handshake may take before it counts as a connection error. */
  connectTimeoutMs: number;
  /** The name's address, looked up once per trial (not once per socket). */
  lookup?: LookupFunction;
}

/** What the connection reports to the trial that owns it. */
export interface ConnectionEvents {
  /** A complete final response. `origin` is when its latency started (ms, performance.now()). */
  response(conn: Connection, status: number, body: string | null, origin: number, end: number): void;
  /** A request that failed without a response, and why. */
  failure(conn: Connection, kind: 'timeout' | 'connection', reason: string): void;
  /** A handshake finished (ms from connect() to the socket being ready for a request). */
  connected(conn: Connection, handshakeMs: number): void;
  /** The connection is connected and has nothing in flight: it may be given a request. */
  idle(conn: Connection): void;
  /** The server ended the connection after a complete response. */
  serverClosed(conn: Connection): void;
  /** Something in perfgate itself threw while handling the socket: the trial must end. */
  internal(err: unknown): void;
}

/** A request ready for the wire, with what the response handling needs to know. */
export interface WireRequest {
  bytes: Buffer;
  /** HEAD: the response has headers only. */
  head: boolean;
  /** Whether the body must be kept (captures). */
  keepBody: boolean;
  /** Safe to send again when a reused connection was closed before any response byte. */
  idempotent: boolean;
  step: number;
}

interface InFlight {
  req: WireRequest;
  origin: number;
  written: number;
  status: number;
  keepAlive: boolean;
  chunks: Buffer[] | null;
  received: boolean;
  retried: boolean;
  /** Written on a socket that was already open and idle (not as part of its handshake). */
  onOpenSocket: boolean;
}

/** Pause before reconnecting after a failed attempt: doubles from 1 ms up to this. */
export const MAX_BACKOFF_MS = 100;
/** Response heads larger than this are a protocol error (Node's own limit is 16 KB; cookies can be large). */
export const MAX_HEADER_BYTES = 1024 * 1024;
// The parser resets its instance limit to this one after every message: set where it reads it.
HTTPParser.maxHeaderSize = MAX_HEADER_BYTES;

export class Connection {
  /** Workflow state, kept across sockets. */
  context: { vars?: Record<string, unknown>; failed?: boolean; error?: string } = {};
  /** The workflow step the next request belongs to. */
  step = 0;
  /** Got at least one successful response in the current trial. */
  served = false;

  private socket: net.Socket | null = null;
  private parser = new HTTPParser(HTTPParser.RESPONSE);
  private connecting = false;
  private connectStart = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  /** The socket has carried a complete response already (a close before any byte may then be a race). */
  private reused = false;
  private inFlight: InFlight | null = null;
  /** A request waiting for the socket to be connected. */
  private pending: { req: WireRequest; origin: number; retried: boolean } | null = null;
  private closed = false;
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** When the chunk being parsed arrived. */
  private chunkAt = 0;
  /** Why the socket in use failed, when it did (for the failure's reason). */
  private socketError: string | null = null;
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly target: Target,
    private readonly events: ConnectionEvents,
  ) {
    this.installParser();
  }

  /** Connected with nothing in flight or waiting. */
  get isIdle(): boolean {
    return !this.closed && this.socket !== null && !this.connecting && this.inFlight === null && this.pending === null;
  }

  /** Nothing in flight or waiting to be sent (connected or not): it can be handed a request. */
  get isFree(): boolean {
    return !this.closed && this.inFlight === null && this.pending === null;
  }

  /** When the request in flight was written (ms), or null. */
  get inFlightSince(): number | null {
    return this.inFlight ? this.inFlight.written : null;
  }

  open(): void {
    if (this.closed || this.socket || this.retryTimer) return;
    this.connecting = true;
    this.connectStart = performance.now();
    this.reused = false;
    this.socketError = null;
    const t = this.target;
    // Reads land in one buffer per connection (`onread`): no Buffer and no 'data' event per read.
    // The parser copies whatever it keeps (body chunks for captures) before the buffer is reused.
    const onread = {
      buffer: this.readBuffer,
      callback: (nread: number, buf: Buffer): boolean => {
        this.guard(() => this.onData(socket, buf.subarray(0, nread)));
        return true;
      },
    };
    // No setNoDelay: each request is one write, and the response acknowledges it, so Nagle's
    // algorithm never holds a request back; it would cost a system call per connection.
    const socket = t.tls
      ? tls.connect({
          host: t.host,
          port: t.port,
          servername: t.tls.servername,
          rejectUnauthorized: !t.tls.insecure,
          ...(t.tls.ca ? { ca: [...tls.rootCertificates, t.tls.ca] } : {}),
          ...(t.lookup ? { lookup: t.lookup } : {}),
        })
      : net.connect({ host: t.host, port: t.port, ...(t.lookup ? { lookup: t.lookup } : {}), onread });
    this.socket = socket;
    // TLS sockets have no onread: their reads arrive as 'data' events.
    if (t.tls) socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(socket, chunk)));
    this.parser.reinitialize(HTTPParser.RESPONSE);
    this.connectTimer = setTimeout(() => {
      this.connectTimer = null;
      if (this.socket !== socket || !this.connecting) return;
      this.socketError = `no connection within ${t.connectTimeoutMs} ms`;
      this.guard(() => this.lost(socket));
    }, t.connectTimeoutMs);
    socket.on(t.tls ? 'secureConnect' : 'connect', () =>
      this.guard(() => {
        if (this.socket !== socket) return;
        this.connecting = false;
        this.clearConnectTimer();
        this.events.connected(this, performance.now() - this.connectStart);
        const pending = this.pending;
        if (pending) {
          this.pending = null;
          this.write(pending.req, pending.origin, pending.retried, false);
        } else this.events.idle(this);
      }),
    );
    socket.on('end', () =>
      this.guard(() => {
        if (this.socket !== socket) return;
        // A body delimited by the end of the connection (HTTP/1.0 style) completes here.
        if (this.inFlight?.received) {
          this.chunkAt = performance.now();
          this.parser.finish();
        }
        if (this.socket === socket) this.lost(socket);
      }),
    );
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.guard(() => {
        if (this.socket !== socket) return;
        this.socketError ??= tlsHint(err.code ?? err.message);
        this.lost(socket);
      }),
    );
    socket.on('close', () =>
      this.guard(() => {
        if (this.socket === socket) this.lost(socket);
      }),
    );
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    // The response's last bytes were here when this chunk arrived: parsing is not its latency.
    this.chunkAt = performance.now();
    if (this.inFlight) this.inFlight.received = true;
    const ret = this.parser.execute(chunk);
    if (ret instanceof Error && this.socket === socket) {
      this.socketError = `the response could not be read (${(ret as Error & { code?: string }).code ?? ret.message})`;
      this.lost(socket);
    }
  }

  /** Sends a request now, or as soon as the socket is connected. `origin` starts its latency. */
  send(req: WireRequest, origin?: number): void {
    if (this.closed) return;
    if (!this.socket || this.connecting) {
      this.pending = { req, origin: origin ?? Number.NaN, retried: false };
      this.open();
      return;
    }
    this.write(req, origin ?? Number.NaN, false, true);
  }

  /** Forgets a request that waits for the socket and was never written (the trial is over). */
  abandonPending(): void {
    this.pending = null;
  }

  /** Gives up the request in flight (timed out) and starts a new socket. */
  timeout(timeoutMs: number): void {
    if (!this.inFlight || !this.socket) return;
    const socket = this.socket;
    this.inFlight = null;
    this.drop(socket);
    this.context.failed = true;
    this.events.failure(this, 'timeout', `no response within ${timeoutMs} ms`);
    this.open();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.inFlight = null;
    this.pending = null;
    if (this.socket) this.drop(this.socket);
  }

  /** Runs a socket callback; anything it throws is perfgate's own fault, handed to the trial. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.events.internal(err);
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private write(req: WireRequest, origin: number, retried: boolean, onOpenSocket: boolean): void {
    const socket = this.socket!;
    const written = performance.now();
    this.inFlight = {
      req,
      // Closed model: from the write. Open model: from the intended send time when it waited.
      origin: Number.isNaN(origin) ? written : Math.min(origin, written),
      written,
      status: 0,
      keepAlive: true,
      chunks: req.keepBody ? [] : null,
      received: false,
      retried,
      onOpenSocket,
    };
    socket.write(req.bytes);
  }

  private installParser(): void {
    const p = this.parser;
    // http-parser-js passes one info object, or positional arguments once anything has read
    // HTTPParser.kOnExecute (major, minor, headers, method, url, status, message, upgrade, keepAlive).
    const onHeaders = (...args: unknown[]): number | undefined => {
      const f = this.inFlight;
      if (!f) return undefined;
      const info = (
        typeof args[0] === 'object' && args[0] !== null
          ? args[0]
          : { versionMajor: args[0], versionMinor: args[1], headers: args[2], statusCode: args[5], shouldKeepAlive: args[8] }
      ) as { versionMajor: number; versionMinor: number; headers: string[]; statusCode: number; shouldKeepAlive: boolean };
      const status = info.statusCode;
      f.status = status;
      const bodiless = f.req.head || status === 204 || status === 304 || (status >= 100 && status < 200);
      // The parser calls a response without a length "not keep-alive" (its body would run to the
      // end of the connection); one that has no body by rule (HEAD, 1xx, 204, 304) is not.
      f.keepAlive = bodiless ? persistent(info) : info.shouldKeepAlive;
      return bodiless ? 1 : undefined; // 1: no body follows
    };
    (p as unknown as Record<number, unknown>)[HTTPParser.kOnHeadersComplete] = onHeaders;
    p[HTTPParser.kOnBody] = (chunk: Buffer, start: number, len: number): void => {
      const f = this.inFlight;
      if (f?.chunks) f.chunks.push(Buffer.from(chunk.subarray(start, start + len)));
    };
    p[HTTPParser.kOnMessageComplete] = (): void => {
      const f = this.inFlight;
      if (!f) return;
      // An interim response (100 Continue, 103 Early Hints): the final one follows on this socket.
      if (f.status >= 100 && f.status < 200 && f.status !== 101) {
        f.status = 0;
        return;
      }
      const end = this.chunkAt;
      this.inFlight = null;
      this.reused = true;
      this.backoffMs = 0;
      const body = f.chunks ? Buffer.concat(f.chunks).toString('utf8') : null;
      const socket = this.socket;
      // The server said it closes (or spoke HTTP/1.0 without keep-alive): the response is whole,
      // so the connection is replaced before the next request, never written to while closing.
      if (!f.keepAlive && socket) {
        this.drop(socket);
        this.events.serverClosed(this);
      }
      this.events.response(this, f.status, body, f.origin, end);
      if (this.closed) return;
      if (!this.socket) this.open();
      else if (this.isIdle) this.events.idle(this);
    };
  }

  /** The socket ended, failed or closed. */
  private lost(socket: net.Socket): void {
    const wasConnecting = this.connecting;
    const why = this.socketError;
    this.drop(socket);
    if (this.closed) return;
    const f = this.inFlight;
    this.inFlight = null;
    let failed: string | null = null;
    if (f) {
      // Closed before any byte of a response on a connection that was open before the request
      // (it had served requests, or sat idle): the server closed an idle keep-alive connection as
      // we wrote. Sent again once, if safe.
      if (!f.received && (this.reused || f.onOpenSocket) && f.req.idempotent && !f.retried)
        this.pending = { req: f.req, origin: f.origin, retried: true };
      else failed = why ?? (f.received ? 'the connection closed in the middle of a response' : 'the connection closed without a response');
      // Closed before answering on a fresh connection (accept, then close at once): back off as
      // after a refused connect, or the error rate would measure how fast we can reconnect.
      if (!f.received && !this.reused) this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1, this.backoffMs * 2));
    } else if (wasConnecting) {
      // The handshake failed: a waiting request fails, and the next attempt backs off.
      if (this.pending) {
        this.pending = null;
        failed = why ?? 'the connection could not be opened';
      }
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1, this.backoffMs * 2));
    } else if (this.reused) {
      // An idle connection the server ended (keep-alive timeout, or after its last response).
      this.events.serverClosed(this);
    } else {
      // Closed before it carried anything (accept, then close at once): back off, as after a refused connect.
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1, this.backoffMs * 2));
    }
    // Reconnect (after the back-off) before saying so: the owner may hand a new request at once.
    if (this.backoffMs > 0) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.closed) this.guard(() => this.open());
      }, this.backoffMs);
    } else this.open();
    if (failed !== null) {
      this.context.failed = true;
      this.events.failure(this, 'connection', failed);
    }
  }

  private drop(socket: net.Socket): void {
    if (this.socket === socket) {
      this.socket = null;
      this.connecting = false;
      this.clearConnectTimer();
    }
    // Its listeners ignore a socket that is no longer this connection's.
    socket.destroy();
  }
}

/** Whether a response leaves the connection open, from its version and Connection header alone. */
function persistent(info: { versionMajor: number; versionMinor: number; headers: string[] }): boolean {
  let connection = '';
  for (let i = 0; i < info.headers.length; i += 2)
    if (info.headers[i]!.toLowerCase() === 'connection') connection += `${info.headers[i + 1]},`;
  connection = connection.toLowerCase();
  if (info.versionMajor === 1 && info.versionMinor === 0) return connection.includes('keep-alive');
  return !connection.includes('close');
}
