import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, parseDuration, parsePercent, parseSize } from '../../../src/config/units.js';

describe('units', () => {
  it('parses durations into milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('250us')).toBe(0.25);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('ten seconds')).toBeUndefined();
    expect(parseDuration('-1s')).toBeUndefined();
  });

  it('parses sizes as binary units', () => {
    expect(parseSize('2GB')).toBe(2 * 1024 ** 3);
    expect(parseSize('512 MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('100kb')).toBe(102_400);
    expect(parseSize('12')).toBeUndefined();
    expect(parseSize('2 GX')).toBeUndefined();
  });

  it('parses percents into fractions', () => {
    expect(parsePercent('1%')).toBe(0.01);
    expect(parsePercent('99.9 %')).toBeCloseTo(0.999, 12);
    expect(parsePercent('0.5')).toBeUndefined();
  });

  it('formats durations and sizes for people', () => {
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(0.25)).toBe('250µs');
    expect(formatBytes(99 * 1024 * 1024)).toBe('99 MB');
    expect(formatBytes(512)).toBe('512 B');
  });
});
