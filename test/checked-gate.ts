// runGate in-process against the real demo service, with the checks every gate test wants: no
// process of the service left running, result.json valid against its schema and equal to what
// was returned, the report on disk equal to the one returned.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { runGate } from '../src/pipeline/gate.js';
import { REPO, demoConfig, newMarker, processesWithMarker, tempDir, writeConfig, type DemoOptions } from './helpers.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
export const validateResult = ajv.compile(JSON.parse(readFileSync(join(REPO, 'schemas', 'result.schema.json'), 'utf8')) as object);

export async function checkedGate(options: DemoOptions, extra: { signal?: AbortSignal; yaml?: string; env?: Record<string, string> } = {}) {
  const dir = tempDir();
  const config = writeConfig(dir, extra.yaml ?? demoConfig(options));
  const m = newMarker();
  const outcome = await runGate({ config, outDir: join(dir, 'out'), env: { ...process.env, ...extra.env, ...m }, signal: extra.signal });
  // Whatever happened, nothing of the service is left running.
  expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  expect(validateResult(outcome.result), JSON.stringify(validateResult.errors)).toBe(true);
  const onDisk = JSON.parse(readFileSync(outcome.files.result, 'utf8')) as unknown;
  expect(onDisk).toEqual(JSON.parse(JSON.stringify(outcome.result)));
  expect(readFileSync(outcome.files.report, 'utf8')).toBe(outcome.report);
  return { ...outcome, dir };
}
