// Where a trial's load goes: host, port, the Host header, the base URL's path, TLS settings, and
// a lookup that asks the resolver once per trial (every socket after the first reuses its answer).
import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import type { ScenarioConfig } from '../config/types.js';
import type { Target } from './connection.js';

/** Where the load goes: host, port, Host header, the base URL's path, TLS. */
export function target(baseUrl: string, scenario?: Pick<ScenarioConfig, 'connectTimeoutMs' | 'tls' | 'timeoutMs'>): Target {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`perfgate loads http:// and https:// services (got ${url.protocol})`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const https = url.protocol === 'https:';
  const ip = net.isIP(host) !== 0;
  return {
    host,
    port: Number(url.port || (https ? 443 : 80)),
    hostHeader: url.host,
    pathPrefix: url.pathname.replace(/\/+$/, ''),
    connectTimeoutMs: scenario?.connectTimeoutMs ?? scenario?.timeoutMs ?? 10_000,
    ...(https
      ? {
          tls: {
            insecure: scenario?.tls?.insecure ?? false,
            ...(scenario?.tls?.ca ? { ca: scenario.tls.ca } : {}),
            ...(ip ? {} : { servername: host }),
          },
        }
      : {}),
    ...(ip ? {} : { lookup: cachedLookup() }),
  };
}

/** A lookup that asks the resolver once and answers every later socket from that answer. */
function cachedLookup(): LookupFunction {
  let answer: Promise<dns.LookupAddress[]> | null = null;
  return ((hostname: string, options: dns.LookupOptions, cb: (...args: unknown[]) => void) => {
    answer ??= dns.promises.lookup(hostname, { family: options.family, hints: options.hints, all: true }).then((list) => {
      if (!list.length) throw new Error(`${hostname}: no address`);
      return list;
    });
    answer.then(
      (list) => (options.all ? cb(null, list) : cb(null, list[0]!.address, list[0]!.family)),
      (err: unknown) => {
        answer = null; // a failed lookup is asked again by the next socket
        cb(err);
      },
    );
  }) as unknown as LookupFunction;
}
