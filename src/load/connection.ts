// One load connection ("virtual user"): a TCP socket speaking HTTP/1.1, one request at a time.
// It keeps its workflow state across sockets: when the server closes the connection (say
// `Connection: close` after every response, as gunicorn's sync workers and Python's http.server
// do), the response is complete when it has been read, the socket is replaced, and the next
// request goes out on the new one once its handshake is done. Latency runs from the request
// being written to the response being read; the handshake is reported on its own.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { HTTPParser } from 'http-parser-js';

export interface Target {
  host: string;
  port: number;
  /** Value of the Host header. */
  hostHeader: string;
}

/** What the connection reports to the trial that owns it. */
export interface ConnectionEvents {
  /** A complete response. `origin` is when its latency started (ms, performance.now()). */
  response(conn: Connection, status: number, body: string | null, origin: number, end: number): void;
  /** A request that failed without a response. */
  failure(conn: Connection, kind: 'timeout' | 'connection'): void;
  /** A handshake finished (ms from connect() to the socket being connected). */
  connected(conn: Connection, handshakeMs: number): void;
  /** The connection is connected and has nothing in flight: it may be given a request. */
  idle(conn: Connection): void;
  /** The server ended the connection after a complete response. */
  serverClosed(conn: Connection): void;
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
}

const MAX_BACKOFF_MS = 100;

export class Connection {
  /** Workflow state, kept across sockets. */
  context: { vars?: Record<string, unknown>; failed?: boolean } = {};
  /** The workflow step the next request belongs to. */
  step = 0;
  /** Got at least one 2xx in the current trial. */
  served = false;

  private socket: net.Socket | null = null;
  private parser = new HTTPParser(HTTPParser.RESPONSE);
  private connecting = false;
  private connectStart = 0;
  /** The socket has carried a request already (a close before any byte may then be a race). */
  private reused = false;
  private inFlight: InFlight | null = null;
  /** A request waiting for the socket to be connected. */
  private pending: { req: WireRequest; origin: number; retried: boolean } | null = null;
  private closed = false;
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** When the chunk being parsed arrived. */
  private chunkAt = 0;

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

  /** When the request in flight was written (ms), or null. */
  get inFlightSince(): number | null {
    return this.inFlight ? this.inFlight.written : null;
  }

  open(): void {
    if (this.closed || this.socket || this.retryTimer) return;
    this.connecting = true;
    this.connectStart = performance.now();
    this.reused = false;
    // No setNoDelay: each request is one write, and the response acknowledges it, so Nagle's
    // algorithm never holds a request back; it would cost a system call per connection.
    const socket = net.connect({ host: this.target.host, port: this.target.port });
    this.socket = socket;
    this.parser.reinitialize(HTTPParser.RESPONSE);
    socket.on('connect', () => {
      if (this.socket !== socket) return;
      this.connecting = false;
      this.backoffMs = 0;
      this.events.connected(this, performance.now() - this.connectStart);
      const pending = this.pending;
      if (pending) {
        this.pending = null;
        this.write(pending.req, pending.origin, pending.retried);
      } else this.events.idle(this);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      // The response's last bytes were here when this chunk arrived: parsing is not its latency.
      this.chunkAt = performance.now();
      if (this.inFlight) this.inFlight.received = true;
      const ret = this.parser.execute(chunk);
      if (ret instanceof Error && this.socket === socket) this.lost(socket);
    });
    socket.on('end', () => {
      if (this.socket !== socket) return;
      // A body delimited by the end of the connection (HTTP/1.0 style) completes here.
      if (this.inFlight?.received) {
        this.chunkAt = performance.now();
        this.parser.finish();
      }
      if (this.socket === socket) this.lost(socket);
    });
    socket.on('error', () => {
      if (this.socket === socket) this.lost(socket);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.lost(socket);
    });
  }

  /** Sends a request now, or as soon as the socket is connected. `origin` starts its latency. */
  send(req: WireRequest, origin?: number): void {
    if (this.closed) return;
    if (!this.socket || this.connecting) {
      this.pending = { req, origin: origin ?? Number.NaN, retried: false };
      this.open();
      return;
    }
    this.write(req, origin ?? Number.NaN, false);
  }

  /** Gives up the request in flight (timed out) and starts a new socket. */
  timeout(): void {
    if (!this.inFlight || !this.socket) return;
    const socket = this.socket;
    this.inFlight = null;
    this.drop(socket);
    this.context.failed = true;
    this.events.failure(this, 'timeout');
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

  private write(req: WireRequest, origin: number, retried: boolean): void {
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
      const info = args[0];
      const status = typeof info === 'object' && info !== null ? (info as { statusCode: number }).statusCode : (args[5] as number);
      const keepAlive =
        typeof info === 'object' && info !== null ? (info as { shouldKeepAlive: boolean }).shouldKeepAlive : (args[8] as boolean);
      f.status = status;
      f.keepAlive = keepAlive;
      return f.req.head || status === 204 || status === 304 || (status >= 100 && status < 200) ? 1 : undefined; // 1: no body follows
    };
    (p as unknown as Record<number, unknown>)[HTTPParser.kOnHeadersComplete] = onHeaders;
    p[HTTPParser.kOnBody] = (chunk: Buffer, start: number, len: number): void => {
      const f = this.inFlight;
      if (f?.chunks) f.chunks.push(Buffer.from(chunk.subarray(start, start + len)));
    };
    p[HTTPParser.kOnMessageComplete] = (): void => {
      const f = this.inFlight;
      if (!f) return;
      const end = this.chunkAt;
      this.inFlight = null;
      this.reused = true;
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
    this.drop(socket);
    if (this.closed) return;
    const f = this.inFlight;
    this.inFlight = null;
    let failed = false;
    if (f) {
      // Closed before any byte of a response on a connection that had served requests: the
      // server closed an idle keep-alive connection as we wrote. Sent again once, if safe.
      if (!f.received && this.reused && f.req.idempotent && !f.retried) this.pending = { req: f.req, origin: f.origin, retried: true };
      else failed = true;
    } else if (wasConnecting) {
      // The handshake failed: a waiting request fails, and the next attempt backs off.
      if (this.pending) {
        this.pending = null;
        failed = true;
      }
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1, this.backoffMs * 2));
    } else {
      // An idle connection the server ended (keep-alive timeout, or after its last response).
      this.events.serverClosed(this);
    }
    // Reconnect (after the back-off) before saying so: the owner may hand a new request at once.
    if (this.backoffMs > 0) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.closed) this.open();
      }, this.backoffMs);
    } else this.open();
    if (failed) {
      this.context.failed = true;
      this.events.failure(this, 'connection');
    }
  }

  private drop(socket: net.Socket): void {
    if (this.socket === socket) {
      this.socket = null;
      this.connecting = false;
    }
    // Its listeners ignore a socket that is no longer this connection's.
    socket.destroy();
  }
}
