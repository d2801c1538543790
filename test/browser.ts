// Chromium for the browser tests, driven by playwright-core. The browser comes from npm
// (@sparticuz/chromium ships a Chromium binary inside its package, needing only libc, libexpat
// and libgcc from the system), so `npm ci && npm test` runs it on a machine with only Node and
// git; nothing is downloaded at test time. Debian's /usr/bin/chromium is the fallback. Where
// neither starts, the tests say so loudly and are skipped, except under CI, where they must run.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** A Chromium binary: the npm package's first, then the system's. */
async function findChromium(): Promise<{ path: string; from: string } | { problems: string[] }> {
  const problems: string[] = [];
  try {
    const packaged = (await import('@sparticuz/chromium')).default;
    return { path: await packaged.executablePath(), from: '@sparticuz/chromium (npm)' };
  } catch (err) {
    problems.push(`@sparticuz/chromium: ${(err as Error).message}`);
  }
  if (existsSync('/usr/bin/chromium')) return { path: '/usr/bin/chromium', from: "Debian's chromium" };
  problems.push('/usr/bin/chromium: not installed');
  return { problems };
}
const found = await findChromium();
if ('problems' in found) {
  const message = `no Chromium for the browser tests (${found.problems.join('; ')})`;
  if (process.env.CI) throw new Error(`${message}: CI must run them (npm ci installs @sparticuz/chromium)`);
  process.stderr.write(`\n*** ${message}: the browser tests are SKIPPED ***\n\n`);
}

/** The binary, or '' when there is none (the tests are then skipped, outside CI). */
export const CHROMIUM = 'path' in found ? found.path : '';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // The packaged build takes its locale from LANG; C.UTF-8 gives an "en-US@posix" that Intl rejects.
      '--lang=en-US',
    ],
  });
}
