// What the load engine noticed about a scenario, as figures and sentences: servers that close the
// connection after responses (each request then paid a new TCP connection, reported apart from
// latency), and how the open model's schedule was kept (late sends, dropped sends, the rate
// achieved). Pure; every string it returns is safe Markdown (numbers and fixed words only).
import { formatMs, formatNumber, formatPercent } from '../analysis/format.js';
import type { ConnectionFigures, PacingFigures } from '../contract/result.js';

export interface LoadFigures {
  connections?: ConnectionFigures;
  pacing?: PacingFigures;
  requests: number;
}

/** Share of responses after which the server closed the connection, above which it "closes after every response". */
const CLOSES_EVERY = 0.95;
/**
 * Generator timer lag (p99) above which the schedule was not kept by perfgate itself. A few ms
 * is ordinary on a shared 2-core runner (2.8–8 ms measured on the demo) and only groups a few
 * sends; 20 ms means the generator was starved of CPU.
 */
const LAG_WARN_MS = 20;

export function loadFigureRows(f: LoadFigures): { label: string; value: string }[] {
  const rows: { label: string; value: string }[] = [];
  const c = f.connections;
  if (c && c.handshake.count > 0)
    rows.push({
      label: 'TCP connections opened (handshake p50 / p99, not in latency)',
      value: `${formatNumber(c.opened, 0)} (${formatMs(c.handshake.p50)} / ${formatMs(c.handshake.p99)}); closed by the server after ${formatNumber(c.closedByServer, 0)} responses`,
    });
  const p = f.pacing;
  if (p)
    rows.push({
      label: `Open-model schedule (${p.arrival === 'poisson' ? 'Poisson arrivals' : 'evenly spaced'})`,
      value:
        `${formatNumber(p.sent, 0)} of ${formatNumber(p.intended, 0)} sends at ${formatNumber(p.achievedRate, 1)} of ${formatNumber(p.offered, 1)} req/s offered; ` +
        `${formatNumber(p.late, 0)} late, ${formatNumber(p.dropped, 0)} dropped${p.expired ? `, ${formatNumber(p.expired, 0)} timed out waiting for a connection` : ''}; generator lag p99 ${formatMs(p.lagP99Ms)}`,
    });
  return rows;
}

export function loadFindings(f: LoadFigures): string[] {
  const out: string[] = [];
  const c = f.connections;
  if (c && f.requests > 0 && c.closedByServer >= CLOSES_EVERY * f.requests)
    out.push(
      `The server closed the connection after every response: each request paid a new TCP connection ` +
        `(handshake p50 ${formatMs(c.handshake.p50)}, reported apart; latency runs from the request written to the response read).`,
    );
  else if (c && f.requests > 0 && c.closedByServer > 0)
    out.push(
      `The server closed the connection after ${formatNumber(c.closedByServer, 0)} of ${formatNumber(f.requests, 0)} responses ` +
        `(${formatPercent(c.closedByServer / f.requests)}); those requests went out on a new connection.`,
    );
  const p = f.pacing;
  if (p && p.intended > 0) {
    if (p.late > 0)
      out.push(
        `${formatNumber(p.late, 0)} of ${formatNumber(p.intended, 0)} sends (${formatPercent(p.late / p.intended)}) found no free connection when due and waited: ` +
          `their latency counts from when they were due, so the wait is in the figures.`,
      );
    if (p.dropped > 0)
      out.push(
        `${formatNumber(p.dropped, 0)} sends were still waiting for a connection when the trials ended: the service answered ` +
          `${formatNumber(p.achievedRate, 1)} of the ${formatNumber(p.offered, 1)} req/s offered.`,
      );
    if (p.lagP99Ms > LAG_WARN_MS)
      out.push(
        `perfgate's own send timer ran up to ${formatMs(p.lagP99Ms)} late (p99): the load generator was short of CPU, so the offered rate was not kept exactly.`,
      );
  }
  return out;
}
