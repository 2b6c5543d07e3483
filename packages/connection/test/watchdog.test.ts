import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createRedis, RedisRuntime, RedisUnavailableError } from '../src/index.js';
import { captureLogger, timed } from './helpers.js';

// Issue 10, item 2: "the connection knows it is hung: a watchdog ping". An app that sends nothing
// while the server hangs must still learn it, so its first request afterwards waits on nothing.
describe('runtime watchdog: a server that hangs while the app is idle', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('starts the outage with no caller, so the first call after it is refused at once', async () => {
    const client = new IORedis({ host: server.host, port: server.port });
    onTestFinished(() => client.disconnect());
    await client.ping();
    const log = captureLogger();
    const runtime = RedisRuntime.for(client, {
      logger: log.logger,
      commandTimeoutMs: 300,
      watchdogIntervalMs: 200,
    });
    expect(runtime.available).toBe(true);
    server.pause();
    try {
      // no call from any caller: only the watchdog's PING can notice
      await waitUntil(() => !runtime.available, {
        timeoutMs: 5_000,
        what: 'the watchdog to start the outage',
      });
      expect(client.status).toBe('ready'); // ioredis alone does not know
      const first = await timed(runtime.run('get', () => client.get('k')));
      expect(first.error).toBeInstanceOf(RedisUnavailableError);
      expect((first.error as RedisUnavailableError).reason).toBe('outage');
      expect(first.ms).toBeLessThan(50);
    } finally {
      server.resume();
    }
    await waitUntil(() => runtime.available, { timeoutMs: 10_000, what: 'the probe to end it' });
    expect(await runtime.run('ping', () => client.ping())).toBe('PONG');
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(
      log.lines.filter((l) => l.level === 'info' && /outage ended/.test(l.msg ?? '')),
    ).toHaveLength(1);
  }, 30_000);
});

// Issue 10, item 3: failure detection for Sentinel is on in every client createRedis makes.
describe('createRedis: Sentinel clients detect failovers', () => {
  it('sets failoverDetector, so the runtime has nothing to warn about', async () => {
    const log = captureLogger();
    const connection = createRedis(
      { sentinels: [{ host: '127.0.0.1', port: 1 }], masterName: 'mymaster' },
      { logger: log.logger },
    );
    onTestFinished(() => connection.close());
    const options = connection.client?.options as { failoverDetector?: boolean };
    expect(options.failoverDetector).toBe(true);
    expect(log.lines.filter((l) => /failoverDetector/.test(l.msg ?? ''))).toEqual([]);
  });
});
