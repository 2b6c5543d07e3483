import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createFileOutbox,
  DeadlineSweeper,
  encodeKeySegment,
  escapeGlob,
  isAvailabilityError,
  nearest,
  redactSecrets,
  refuseUnknownOptions,
  resolveSharedOptions,
  ToolkitError,
  ToolkitEvents,
  timeoutOption,
} from '../src/index.js';

describe('key segments', () => {
  it('never throws, and distinct inputs give distinct segments', () => {
    const inputs = [
      'a',
      'a:b',
      'a%3Ab',
      '*',
      '?',
      '[x]',
      '{tag}',
      ' ',
      '\u0000',
      '\ud800',
      '\udc00',
      '😀',
      'é',
      '\\',
    ];
    const out = inputs.map(encodeKeySegment);
    expect(new Set(out).size).toBe(inputs.length);
    for (const s of out) {
      expect(s).not.toMatch(/[:*?[\]{}\s\\]/);
      expect(s.includes(String.fromCharCode(0))).toBe(false);
    }
    expect(encodeKeySegment('\ud800')).toBe('%uD800');
    expect(encodeKeySegment('😀')).toBe('😀');
    expect(encodeKeySegment(42)).toBe('42');
  });
  it('escapes glob metacharacters', () => {
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
  });
});

describe('options', () => {
  class BadOption extends ToolkitError {
    static override readonly code = 'E_TEST_CONFIG';
  }
  const make = (field: string, message: string) => new BadOption(message, { field });
  it('refuses unknown options naming the nearest known one', () => {
    expect(() => refuseUnknownOptions({ tll: 1 }, ['ttl', 'prefix'], make)).toThrow(
      /unknown option `tll` \(did you mean `ttl`\?\)/,
    );
    try {
      refuseUnknownOptions({ encryption: {} }, ['ttl', 'prefix'], make);
      expect.unreachable('must throw');
    } catch (error) {
      expect(error).toBeInstanceOf(BadOption);
      expect((error as BadOption).code).toBe('E_TEST_CONFIG');
      expect(BadOption.code).toBe('E_TEST_CONFIG');
      expect((error as BadOption).field).toBe('encryption');
    }
    expect(nearest('comandTimeout', ['commandTimeout', 'redis'])).toBe('commandTimeout');
    expect(nearest('zzzzzz', ['redis'])).toBeUndefined();
  });
  it('a timeout given as a bare number of 1000 or more is refused: seconds, but milliseconds meant', () => {
    expect(() => timeoutOption(5000, 'shutdownTimeout', 0, make)).toThrow(
      /shutdownTimeout: a bare number is seconds, and 5000 seconds is 83 min; write '5000ms'/,
    );
    expect(timeoutOption(999, 'timeout', 0, make)).toBe(999_000);
    expect(timeoutOption('5000ms', 'timeout', 0, make)).toBe(5000);
    expect(timeoutOption('2h', 'timeout', 0, make)).toBe(7_200_000);
    expect(timeoutOption(undefined, 'timeout', 42, make)).toBe(42);
    // the shared commandTimeout of every package goes through it
    expect(() =>
      resolveSharedOptions(
        'test',
        { commandTimeout: 1500 },
        { policies: ['memory'], defaultPolicy: 'memory', defaultMaxMemoryEntries: 10 },
        make,
      ),
    ).toThrow(/commandTimeout: a bare number is seconds, and 1500 seconds is 25 min/);
  });
});

describe('what counts as an outage', () => {
  it('connection failures and "cannot serve now" replies do; caller and library errors do not', () => {
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    expect(isAvailabilityError(new Error('Connection is closed.'))).toBe(true);
    expect(isAvailabilityError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(
      isAvailabilityError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })),
    ).toBe(true);
    expect(isAvailabilityError(reply('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(
      isAvailabilityError(reply('READONLY You cannot write against a read only replica.')),
    ).toBe(true);
    expect(
      isAvailabilityError(
        reply('WRONGTYPE Operation against a key holding the wrong kind of value'),
      ),
    ).toBe(false);
    expect(isAvailabilityError(new Error('Custom Id cannot contain :'))).toBe(false);
    expect(isAvailabilityError(new RangeError('Maximum call stack size exceeded'))).toBe(false);
  });
});

describe('redaction', () => {
  it('masks a secret standing alone, not inside other words', () => {
    expect(redactSecrets('because of cause', ['cause'])).toBe('because of ***');
    expect(redactSecrets('redis://:cause@host', ['cause'])).toBe('redis://:***@host');
    expect(redactSecrets('AUTH "s3cr3t!"', ['s3cr3t!'])).toBe('AUTH "***"');
  });
});

describe('events', () => {
  it('counts every emit and delivers the shared shape to listeners', () => {
    const events = new ToolkitEvents('cache', 'users');
    events.emit('hit', 'get');
    const seen: unknown[] = [];
    events.on((e) => seen.push(e));
    events.emit('hit', 'mget', 7);
    expect(events.snapshot().hit).toBe(8);
    expect(seen).toEqual([
      { package: 'cache', type: 'hit', name: 'users', operation: 'mget', count: 7 },
    ]);
  });
});

describe('file outbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('keeps entries across instances, oldest first, and removes replayed ones', async () => {
    const a = createFileOutbox<{ jti: string }>({ directory: dir, maxEntries: 3 });
    const b = createFileOutbox<{ jti: string }>({ directory: dir, maxEntries: 3 });
    await a.append({ id: 'r1', kind: 'revoke', payload: { jti: '1' }, createdAt: 1 });
    await a.append({ id: 'r/2', kind: 'revoke', payload: { jti: '2' }, createdAt: 2 });
    expect((await b.list(10)).map((e) => e.id)).toEqual(['r1', 'r/2']);
    await b.remove(['r1']);
    expect(await a.size()).toBe(1);
    await a.append({ id: 'r3', kind: 'revoke', payload: { jti: '3' }, createdAt: 3 });
    await a.append({ id: 'r4', kind: 'revoke', payload: { jti: '4' }, createdAt: 4 });
    await expect(
      a.append({ id: 'r5', kind: 'revoke', payload: { jti: '5' }, createdAt: 5 }),
    ).rejects.toThrow(/full/);
  });
});

describe('deadline sweeper', () => {
  it('expires only late calls, whatever the mix of timeout lengths, with one interval', async () => {
    const sweeper = new DeadlineSweeper(5);
    const never = new Promise<string>(() => {});
    const late = (ms: number) =>
      sweeper.race(
        never,
        ms,
        () => new Error(`late ${ms}`),
        (e) => e,
        () => {},
      );
    const quick = sweeper.race(
      Promise.resolve('ok'),
      20,
      () => new Error('should not expire'),
      (e) => e,
      () => {},
    );
    const failing = sweeper.race(
      Promise.reject(new Error('boom')),
      20,
      () => new Error('should not expire'),
      (e) => new Error(`mapped ${(e as Error).message}`),
      () => {},
    );
    const failed = expect(failing).rejects.toThrow('mapped boom');
    // a long deadline registered first must not hold back a short one registered after it
    const long = late(5000);
    const started = performance.now();
    await expect(late(30)).rejects.toThrow('late 30');
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(quick).resolves.toBe('ok');
    await failed;
    expect(sweeper.size).toBe(1);
    long.catch(() => {});
  });
});
