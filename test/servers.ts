// Servers for tests: a shell command started as a server in its own
// process group (stopped with the whole group), and tiny raw TCP servers that answer with
// exactly the bytes a test names (for HTTP edge cases no framework would produce on demand).
import { spawn } from 'node:child_process';
import net from 'node:net';

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `command` (a shell line) and waits until it listens on `port`. */
export async function externalService(command: string, cwd: string, port: number): Promise<{ stop(): Promise<void> }> {
  const child = spawn('sh', ['-c', `exec ${command}`], { cwd, detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, 20_000);
  return {
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
      }, 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A raw HTTP server: `answer(request, count)` returns the bytes to write for each request read
 * (a request is taken to end at its blank line; bodies are not expected), and whether to close
 * the connection after writing them.
 */
export async function rawServer(
  answer: (head: string, n: number) => { bytes: string; close?: boolean },
): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  return wireServer(answer);
}

/** What a wire server does with one request: bytes to write (then maybe close), nothing (hold it), or a reset. */
export type WireAnswer = { bytes: string | Buffer; close?: boolean; delayMs?: number } | 'hold' | 'destroy';

export interface WireServer {
  url: string;
  port: number;
  /** Request heads as read, in order (latin1: the bytes as sent). */
  heads: string[];
  /** Requests read but never answered (held, or the connection went before the answer). */
  unanswered(): number;
  /** Requests whose answer is still to be written (delayed). */
  inProgress(): number;
  connections(): number;
  close(): Promise<void>;
}

/**
 * A raw HTTP/1.1 server on a socket, for the conformance battery: it reads request heads (and
 * Content-Length bodies), counts what it served, and answers as `answer` says. No HTTP library
 * in between, so the bytes on the wire are exactly the test's.
 */
export async function wireServer(
  answer: (head: string, n: number) => WireAnswer,
  options: { onConnection?: (socket: net.Socket) => boolean } = {},
): Promise<WireServer> {
  let n = 0;
  let conns = 0;
  let held = 0;
  let waiting = 0;
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    conns++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (options.onConnection && !options.onConnection(socket)) return;
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        heads.push(head);
        const a = answer(head, n++);
        if (a === 'hold') {
          held++;
          continue;
        }
        if (a === 'destroy') {
          held++;
          socket.destroy();
          return;
        }
        const write = (): void => {
          if (socket.destroyed) {
            held++;
            return;
          }
          if (a.close) socket.end(a.bytes);
          else socket.write(a.bytes);
        };
        if (a.delayMs) {
          waiting++;
          setTimeout(() => {
            waiting--;
            write();
          }, a.delayMs);
        } else write();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    heads,
    unanswered: () => held,
    inProgress: () => waiting,
    connections: () => conns,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `HTTP/1.1 <status>` with a Content-Length body (and extra header lines). */
export function httpResponse(status: number, body = '', headers: string[] = []): string {
  return [`HTTP/1.1 ${status} ${status < 300 ? 'OK' : 'X'}`, ...headers, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join(
    '\r\n',
  );
}
