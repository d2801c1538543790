import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../../src/config/service-url.js';
import { PERFGATE_VERSION } from '../../../src/util/version.js';

describe('odds and ends', () => {
  it('the version constant matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PERFGATE_VERSION).toBe(pkg.version);
  });

  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', '0.0.0.0']) expect(isLoopback(h)).toBe(false);
  });
});
