// How much a service's resident memory grew over a trial: the whole process tree's RSS, read at
// the trial's boundaries. A real process tree allocates between two readings; a container's
// memory is not read (its processes are not the command's).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startService } from '../../src/service/process.js';
import { TrialRss, treeRss } from '../../src/service/trial-memory.js';
import { newMarker, processesWithMarker, tempDir } from '../helpers.js';

const MB = 1024 ** 2;
// The parent and a child it forks each touch 24 MB once the file "go" appears, then hold it until
// killed.
const SCRIPT = String.raw`
import os, sys, time
go = sys.argv[1]
child = os.fork()
while not os.path.exists(go):
    time.sleep(0.02)
held = bytearray(24 * 1024 * 1024)
for i in range(0, len(held), 4096):
    held[i] = 1
open(go + (".child" if child == 0 else ".parent"), "w").close()
time.sleep(300)
`;

const wait = async (ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 250 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
};

describe.skipIf(process.platform !== 'linux')("a trial's memory growth", () => {
  it('counts what every process of the tree allocated between the boundaries, the forked child included', async () => {
    const dir = tempDir('perfgate-rss-');
    const go = join(dir, 'go');
    writeFileSync(join(dir, 'hold.py'), SCRIPT);
    const m = newMarker();
    const svc = startService({ command: `exec /usr/bin/python3 hold.py ${go}`, cwd: dir, env: { ...process.env, ...m } });
    try {
      await wait(() => processesWithMarker(m.PERFGATE_TEST_MARKER).length === 2);
      expect(processesWithMarker(m.PERFGATE_TEST_MARKER).length).toBe(2);
      const rss = new TrialRss(svc);
      expect(rss.enabled).toBe(true);
      await rss.boundary('before', true);
      writeFileSync(go, '');
      await wait(() => existsSync(go + '.child') && existsSync(go + '.parent'));
      await rss.boundary('after', true);
      // A trial cut short keeps no reading.
      await rss.boundary('before', false);
      await rss.boundary('after', false);
      expect(rss.readings).toHaveLength(1);
      const grew = rss.readings[0]!;
      expect(grew).toBeGreaterThan(44 * MB);
      expect(grew).toBeLessThan(56 * MB);
      expect(await treeRss(svc)).toBeGreaterThan(48 * MB);
    } finally {
      await svc.stop(3000);
    }
    await wait(() => processesWithMarker(m.PERFGATE_TEST_MARKER).length === 0);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  });

  it('a service run in a container: not read', async () => {
    const rss = new TrialRss({ pid: process.pid, cpuNotMeasured: 'a container' });
    expect(rss.enabled).toBe(false);
    await rss.boundary('before', true);
    await rss.boundary('after', true);
    expect(rss.readings).toEqual([]);
    expect(await treeRss({ pid: process.pid, cpuNotMeasured: 'a container' })).toBeNull();
  });
});
