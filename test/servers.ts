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
  let n = 0;
  let conns = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    conns++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const a = answer(head, n++);
        if (a.close) socket.end(a.bytes);
        else socket.write(a.bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => conns,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
