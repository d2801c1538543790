// Config for what goes on the wire: timeouts bounded by the trial, TLS settings, header merging,
// and header values and paths that cannot be sent, each refused where it is written.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeHeaders } from '../../../src/config/build-parts.js';
import { encodePath, invalidHeaderValue, validHeaderName } from '../../../src/util/http-syntax.js';
import { loadConfigText } from '../../config-text.js';
import { REPO } from '../../helpers.js';

const base = (extra = '', scenario = '{name: a, request: {path: /}}', url = 'http://127.0.0.1:1') =>
  `service: {url: "${url}"${extra}}\nscenarios: [${scenario}]\n`;

describe('timeouts', () => {
  it('default to 10 s or the trial, whichever is shorter; connect-timeout defaults to the timeout', () => {
    expect(loadConfigText(base()).scenarios[0]).toMatchObject({ timeoutMs: 5000, connectTimeoutMs: 5000 });
    const long = loadConfigText(base('', '{name: a, request: {path: /}, duration: 30s}')).scenarios[0]!;
    expect(long).toMatchObject({ timeoutMs: 10_000, connectTimeoutMs: 10_000 });
    const set = loadConfigText(`${base()}load: {timeout: 2s, connect-timeout: 500ms}\n`).scenarios[0]!;
    expect(set).toMatchObject({ timeoutMs: 2000, connectTimeoutMs: 500 });
  });

  it('a load-level timeout longer than a ramp step is refused at load.timeout', () => {
    expect(() =>
      loadConfigText(`${base('', '{name: r, request: {path: /}, ramp: {start: 1, max: 4, step: 1s}}')}load: {timeout: 3s}\n`),
    ).toThrow(/:3:\d+: load\.timeout: timeout 3s is longer than a ramp step of "r" \(1s\)/);
  });
});

describe('tls', () => {
  const ca = join(REPO, 'fixtures', 'tls', 'ca.pem');
  it('reads the CA for an https url and hands the settings to every scenario', () => {
    const c = loadConfigText(base(`, tls: {ca: ${JSON.stringify(ca)}}`, undefined, 'https://localhost:8443'));
    expect(c.service.tls!.ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(c.scenarios[0]!.tls).toBe(c.service.tls);
  });

  it('refuses tls on an http url, a CA file that is missing, and one that holds no certificate', () => {
    expect(() => loadConfigText(base(', tls: {insecure: true}'))).toThrow(/service\.tls: tls applies to an https:\/\/ url/);
    expect(() => loadConfigText(base(', tls: {ca: nope.pem}', undefined, 'https://localhost:8443'))).toThrow(
      /service\.tls\.ca: cannot read nope\.pem: ENOENT/,
    );
    expect(() =>
      loadConfigText(base(`, tls: {ca: ${JSON.stringify(join(REPO, 'package.json'))}}`, undefined, 'https://localhost:8443')),
    ).toThrow(/holds no PEM certificate/);
  });
});

describe('headers and paths', () => {
  it('merge without case, the later map winning and spelling the name', () => {
    expect(mergeHeaders({ 'X-Token': 'a', Accept: '*/*' }, { 'x-token': 'b' })).toEqual({ Accept: '*/*', 'x-token': 'b' });
  });

  it('say what makes a header unsendable', () => {
    expect(invalidHeaderValue('a\r\nb')).toBe('a CR or LF');
    expect(invalidHeaderValue('a\u0000b')).toBe('a control character');
    expect(invalidHeaderValue('caf\u00e9')).toBeNull(); // Latin-1 is a legal (obsolete) header byte
    expect(invalidHeaderValue('€')).toMatch(/beyond Latin-1/);
    expect(validHeaderName('x-ok_1')).toBe(true);
    expect(validHeaderName('bad name')).toBe(false);
  });

  it('encode paths as UTF-8, keeping delimiters and what is encoded already; refuse a lone surrogate', () => {
    expect(encodePath('/a/b?x=1&y=%2F#f')).toBe('/a/b?x=1&y=%2F%23f');
    expect(encodePath('/😀 %zz')).toBe('/%F0%9F%98%80%20%25zz');
    expect(() => encodePath('/\ud800')).toThrow(URIError);
  });

  it('refuse a bad header name and a non-Latin-1 header value in the config, located', () => {
    expect(() => loadConfigText(base('', '{name: a, request: {path: /, headers: {"bad name": x, x-euro: "€"}}}'))).toThrow(
      /:2:\d+: scenarios\[0\]\.request\.headers\["bad name"\]: "bad name" is not a valid header name[\s\S]*x-euro: the value of header "x-euro" contains a character beyond Latin-1/,
    );
  });
});
