// A local stand-in for the GitHub REST endpoints perfgate uses, for the real Octokit client to
// talk to through GITHUB_API_URL. Pages like GitHub (per_page, page, Link headers), records calls.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
}

export interface Call {
  method: string;
  path: string;
  body?: unknown;
}

export interface FakeGitHub {
  url: string;
  calls: Call[];
  comments: Map<number, FakeComment[]>;
  pulls: Map<number, { head: { sha: string } }>;
  /** Answer writes with 403 "Resource not accessible by integration", like a fork's token. */
  forbidWrites: boolean;
  close(): Promise<void>;
}

export async function startFakeGitHub(owner: string, repo: string): Promise<FakeGitHub> {
  let nextId = 1000;
  const state: FakeGitHub = {
    url: '',
    calls: [],
    comments: new Map(),
    pulls: new Map(),
    forbidWrites: false,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const prefix = `/repos/${owner}/${repo}`;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', state.url);
      const text = Buffer.concat(chunks).toString();
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      state.calls.push({ method: req.method ?? '', path: url.pathname + url.search, body });
      const send = (status: number, data: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(data));
      };
      if (!url.pathname.startsWith(prefix)) return send(404, { message: 'Not Found' });
      const path = url.pathname.slice(prefix.length);
      let m: RegExpExecArray | null;
      const forbidden = (): void =>
        send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
      if ((m = /^\/issues\/(\d+)\/comments$/.exec(path))) {
        const issue = Number(m[1]);
        const list = state.comments.get(issue) ?? [];
        if (req.method === 'GET') {
          const perPage = Number(url.searchParams.get('per_page') ?? 30);
          const page = Number(url.searchParams.get('page') ?? 1);
          const last = Math.max(1, Math.ceil(list.length / perPage));
          const link = (p: number): string => `<${state.url}${prefix}/issues/${issue}/comments?per_page=${perPage}&page=${p}>`;
          const links: Record<string, string> = page < last ? { link: `${link(page + 1)}; rel="next", ${link(last)}; rel="last"` } : {};
          return send(200, list.slice((page - 1) * perPage, page * perPage), links);
        }
        if (req.method === 'POST') {
          if (state.forbidWrites) return forbidden();
          const c: FakeComment = {
            id: nextId++,
            body: String(body?.body),
            user: { login: 'github-actions[bot]', type: 'Bot' },
            html_url: '',
          };
          c.html_url = `https://github.com/${owner}/${repo}/pull/${issue}#issuecomment-${c.id}`;
          list.push(c);
          state.comments.set(issue, list);
          return send(201, c);
        }
      }
      if ((m = /^\/issues\/comments\/(\d+)$/.exec(path)) && req.method === 'PATCH') {
        if (state.forbidWrites) return forbidden();
        for (const list of state.comments.values()) {
          const c = list.find((x) => x.id === Number(m![1]));
          if (c) {
            c.body = String(body?.body);
            return send(200, c);
          }
        }
        return send(404, { message: 'Not Found' });
      }
      if ((m = /^\/pulls\/(\d+)$/.exec(path)) && req.method === 'GET') {
        const pr = state.pulls.get(Number(m[1]));
        return pr ? send(200, { number: Number(m[1]), ...pr }) : send(404, { message: 'Not Found' });
      }
      return send(404, { message: `no route for ${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** Parses a GITHUB_OUTPUT file (`name<<DELIM\nvalue\nDELIM`). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^(.+?)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}
