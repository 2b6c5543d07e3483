import { describe, expect, it } from 'vitest';
import { backoffDelay, durationToMs, redactUrl } from '../src/index.js';

describe('redactUrl', () => {
  it.each([
    ['redis://app:s3cret@host:6379/0', 'redis://app:***@host:6379/0'],
    ['rediss://:s3cret@host', 'rediss://:***@host'],
    ['redis://user@host', 'redis://user@host'],
    ['redis://host:6379', 'redis://host:6379'],
    ['redis://app:p%40ss:word@host/2', 'redis://app:***@host/2'],
    ['not a url', 'not a url'],
  ])('%s → %s', (input, output) => {
    expect(redactUrl(input)).toBe(output);
  });
});

describe('backoffDelay', () => {
  const opts = { baseMs: 50, maxMs: 2000 };
  it('grows exponentially from the base and never exceeds the cap', () => {
    expect(backoffDelay(1, opts, () => 1)).toBe(50);
    expect(backoffDelay(2, opts, () => 1)).toBe(100);
    expect(backoffDelay(6, opts, () => 1)).toBe(1600);
    expect(backoffDelay(7, opts, () => 1)).toBe(2000);
    expect(backoffDelay(10_000, opts, () => 1)).toBe(2000);
  });
  it('jitters between half and all of the ceiling', () => {
    expect(backoffDelay(1, opts, () => 0)).toBe(25);
    expect(backoffDelay(20, opts, () => 0)).toBe(1000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(8, opts);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });
});

describe('durationToMs: the toolkit-wide duration rule', () => {
  it.each([
    [300, 300_000],
    [0.5, 500],
    ['300', 300_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1.5 h', 5_400_000],
  ])('%j → %d ms', (input, ms) => {
    expect(durationToMs(input)).toBe(ms);
  });

  it.each([
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    '5 minutes',
    '1w',
    '-5s',
    'abc',
    null,
    undefined,
    {},
    BigInt(10),
  ])('rejects %s', (input) => {
    expect(durationToMs(input)).toBeUndefined();
  });
});
