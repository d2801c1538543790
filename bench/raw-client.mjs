// A reference HTTP client for checking perfgate's figures, sharing none of perfgate's code: raw
// node:net sockets and the least parsing that finds a response's end (status line, then
// Content-Length, or the end of the connection). Every latency is kept exactly (no histogram).
// A request's latency runs from its bytes being written on a connected socket to the last byte
// of its response, so a new connection's handshake is not part of it (as wrk and k6 count it).
// An https URL is spoken over node:tls (certificates not verified: a reference, not a client).
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';

class RawConnection {
  constructor(host, port, request, onDone, secure = false) {
    Object.assign(this, { host, port, request, onDone, secure, socket: null, start: 0, buf: Buffer.alloc(0), busy: false, ready: false });
  }

  connect(then) {
    this.ready = false;
    const s = this.secure
      ? tls.connect({ host: this.host, port: this.port, rejectUnauthorized: false })
      : net.connect({ host: this.host, port: this.port });
    this.socket = s;
    s.on(this.secure ? 'secureConnect' : 'connect', () => {
      this.ready = true;
      then?.();
    });
    s.on('data', (d) => this.data(s, d));
    s.on('end', () => this.closed(s, true));
    s.on('error', () => this.closed(s, false));
  }

  send(origin) {
    this.busy = true;
    const go = () => {
      this.start = origin ?? performance.now();
      this.buf = Buffer.alloc(0);
      this.socket.write(this.request);
    };
    if (this.ready) go();
    else this.connect(go);
  }

  data(s, d) {
    if (s !== this.socket || !this.busy) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const head = this.buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const text = this.buf.subarray(0, head).toString('latin1');
    const len = /\r\ncontent-length:\s*(\d+)/i.exec(text);
    if (!len) return; // read to the end of the connection
    if (this.buf.length < head + 4 + Number(len[1])) return;
    this.finish(text);
  }

  closed(s, ended) {
    if (s !== this.socket) return;
    this.socket = null;
    this.ready = false;
    if (this.busy) {
      const head = this.buf.indexOf('\r\n\r\n');
      if (ended && head >= 0) this.finish(this.buf.subarray(0, head).toString('latin1'), true);
      else {
        this.busy = false;
        this.onDone(this, null);
      }
    }
  }

  finish(head, alreadyClosed = false) {
    const ms = performance.now() - this.start;
    this.busy = false;
    const status = Number(head.slice(9, 12));
    const close = /\r\nconnection:\s*close/i.test(head) || head.startsWith('HTTP/1.0');
    if (close && !alreadyClosed) {
      const s = this.socket;
      this.socket = null;
      this.ready = false;
      s.destroy();
    }
    this.onDone(this, status >= 200 && status < 300 ? ms : null);
  }
}

function setup(url, connections, method = 'GET', body) {
  const u = new URL(url);
  const payload = body ? Buffer.from(body) : null;
  const request = Buffer.concat([
    Buffer.from(
      `${method} ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n${payload ? `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n` : ''}\r\n`,
    ),
    payload ?? Buffer.alloc(0),
  ]);
  const secure = u.protocol === 'https:';
  return { host: u.hostname, port: Number(u.port || (secure ? 443 : 80)), request, connections, secure };
}

/** `connections` opened connections whose answers are tallied; `next(c)` decides what a connection does after one. */
async function pool(o, connections, next) {
  const tally = { latencies: [], errors: 0, running: true };
  const conns = Array.from(
    { length: connections },
    () =>
      new RawConnection(
        o.host,
        o.port,
        o.request,
        (c, ms) => {
          if (!tally.running) return;
          if (ms === null) tally.errors++;
          else tally.latencies.push(ms);
          next(c);
        },
        o.secure,
      ),
  );
  await Promise.all(conns.map((c) => new Promise((resolve) => c.connect(resolve))));
  return { conns, tally };
}

/** Closed model: each connection sends its next request as soon as the last is answered. */
export async function rawClosed(url, { connections, durationMs, method, body }) {
  const { conns, tally } = await pool(setup(url, connections, method, body), connections, (c) => c.send());
  const t0 = performance.now();
  for (const c of conns) c.send();
  await new Promise((r) => setTimeout(r, durationMs));
  tally.running = false;
  const elapsed = performance.now() - t0;
  for (const c of conns) c.socket?.destroy();
  return summary(tally.latencies, tally.errors, elapsed);
}

/** Open model: a request due every 1/rate s, sent on the connection idle longest (or, when none is idle, as soon as one is, its latency then counted from when it was due). */
export async function rawPaced(url, { connections, rate, durationMs }) {
  const idle = [];
  const queue = [];
  const { conns, tally } = await pool(setup(url, connections), connections, (c) => {
    if (queue.length) c.send(queue.shift());
    else idle.push(c);
  });
  idle.push(...conns);
  const t0 = performance.now();
  const total = Math.floor((rate * durationMs) / 1000);
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < total && t0 + (i * 1000) / rate <= now) {
        const due = t0 + (i * 1000) / rate;
        i++;
        const c = idle.shift();
        if (c) c.send();
        else queue.push(due);
      }
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + (i * 1000) / rate - performance.now()));
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 200)); // the last answers
  tally.running = false;
  for (const c of conns) c.socket?.destroy();
  return summary(tally.latencies, tally.errors, durationMs);
}

function summary(latencies, errors, elapsedMs) {
  const s = latencies.sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : 0);
  return { requests: s.length, errors, rps: (s.length * 1000) / elapsedMs, p50: q(50), p90: q(90), p95: q(95), p99: q(99) };
}
