import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromLocust, importedScenario, parseCsv } from '../../../src/load/imported.js';
import { REPO } from '../../helpers.js';

const fixture = (name: string): string => readFileSync(join(REPO, 'fixtures', 'imports', name), 'utf8');
const HEADER =
  'Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%';

describe('import --from locust', () => {
  it('reads the Aggregated row of a recorded PREFIX_stats.csv', () => {
    const text = fixture('locust-demo_stats.csv');
    const row = parseCsv(text).find((r) => r[1] === 'Aggregated')!;
    const x = fromLocust(text, fixture('locust-demo_failures.csv'));
    expect(x).toMatchObject({ tool: 'locust', requests: Number(row[2]), ok: Number(row[2]) - Number(row[3]) });
    expect(x.latency).toMatchObject({
      p50: Number(row[11]),
      p90: Number(row[15]),
      p95: Number(row[16]),
      p99: Number(row[18]),
      max: Number(row[7]),
    });
    expect(x.latency.mean).toBeCloseTo(Number(row[5]), 9);
    expect(x.durationMs).toBeCloseTo((Number(row[2]) / Number(row[9])) * 1000, 6);
    expect(x.notes.join(' ')).toContain('GET /api/products');
    expect(x.missing).toContain('users (connections)');
    const s = importedScenario('locust', x);
    expect(s.summary.rps).toBeCloseTo(Number(row[9]), 6);
  });

  it('splits failures by what PREFIX_failures.csv says they were; quoted names keep their commas', () => {
    const stats = `${HEADER}\nGET,"/search?q=a,b",100,7,5,6,1,90,10,50,3.5,5,6,7,8,9,10,20,30,80,90,90\n,Aggregated,100,7,5,6,1,90,10,50,3.5,5,6,7,8,9,10,20,30,80,90,90\n`;
    const failures =
      'Method,Name,Error,Occurrences\nGET,"/search?q=a,b","HTTPError(\'500 Server Error: INTERNAL SERVER ERROR for url: /search\')",3\n' +
      'GET,"/search?q=a,b",ConnectionRefusedError(111),2\nGET,"/search?q=a,b","Timeout(\'timed out\')",1\n';
    const x = fromLocust(stats, failures);
    expect(x.errors).toEqual({ total: 7, non2xx: 4, timeouts: 1, connection: 2 });
    expect(x.notes.join(' ')).toContain('GET /search?q=a,b');
    const bare = fromLocust(stats);
    expect(bare.errors).toEqual({ total: 7, non2xx: 7, timeouts: 0, connection: 0 });
    expect(bare.notes.join(' ')).toContain('every failure is counted as a non-2xx response');
  });

  it('refuses other CSV files with what is missing', () => {
    expect(() => fromLocust('a,b\n1,2\n')).toThrow(/not a Locust --csv statistics file/);
    expect(() => fromLocust(`${HEADER}\nGET,/x,1,0,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,1\n`)).toThrow(/no "Aggregated" row/);
  });
});
