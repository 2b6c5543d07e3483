import { freePort, type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  createRedis,
  loadRedisConfig,
  type RedisConnection,
  type RedisStatus,
} from '../src/index.js';
import { captureLogger, timed } from './helpers.js';

/** createRedis + automatic close at the end of the test. */
function connect(
  env: Record<string, string>,
  options: Parameters<typeof createRedis>[1] = {},
): RedisConnection {
  const connection = createRedis(loadRedisConfig(env), options);
  onTestFinished(() => connection.close({ timeoutMs: 500 }));
  return connection;
}

const single = (c: RedisConnection) => c.client as Redis;

describe('createRedis against a standalone server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server.stop());

  it('connects from REDIS_URL, names the connection, and reports healthy', async () => {
    const redis = connect({ REDIS_URL: server.url }, { name: 'api worker' });
    expect(redis.status).toBe('connecting');
    await redis.waitUntilReady(10_000);
    expect(redis.status).toBe('ready');
    await redis.client?.set('url:key', 'v');
    expect(await redis.client?.get('url:key')).toBe('v');
    expect(await single(redis).client('GETNAME')).toBe('api-worker');
    const health = await redis.health();
    expect(health).toMatchObject({ healthy: true, status: 'ready' });
    expect(health.latencyMs).toBeGreaterThan(0);
  });

  it('selects the database from REDIS_DB and from the URL path', async () => {
    const viaVar = connect({
      REDIS_HOST: server.host,
      REDIS_PORT: String(server.port),
      REDIS_DB: '3',
    });
    await viaVar.client?.set('db:key', 'three');
    expect(await server.cli('-n', '3', 'get', 'db:key')).toBe('three');
    const viaUrl = connect({ REDIS_URL: `${server.url}/5` });
    await viaUrl.client?.set('db:key', 'five');
    expect(await server.cli('-n', '5', 'get', 'db:key')).toBe('five');
    expect(await server.cli('-n', '0', 'exists', 'db:key')).toBe('0');
  });

  it('applies REDIS_KEY_PREFIX to commands', async () => {
    const redis = connect({ REDIS_URL: server.url, REDIS_KEY_PREFIX: 'dental:' });
    await redis.client?.set('patients:1', 'Ada');
    expect(await server.cli('get', 'dental:patients:1')).toBe('Ada');
    expect(await server.cli('exists', 'patients:1')).toBe('0');
    expect(await redis.client?.get('patients:1')).toBe('Ada');
  });

  it('returns a disabled connection for REDIS_ENABLED=false', async () => {
    const { logger, lines } = captureLogger();
    const redis = connect({ REDIS_ENABLED: 'false', REDIS_URL: server.url }, { logger });
    expect(redis.client).toBeNull();
    expect(redis.status).toBe('disabled');
    expect(await redis.health()).toMatchObject({ healthy: false, status: 'disabled' });
    expect(() => redis.duplicate()).toThrow(/disabled/);
    await expect(redis.waitUntilReady(100)).rejects.toThrow(/disabled/);
    await redis.close();
    expect(lines).toHaveLength(1);
  });

  it('duplicate() gives a subscriber that is closed with its parent', async () => {
    const redis = connect({ REDIS_URL: server.url });
    const subscriber = single({ client: redis.duplicate() } as RedisConnection);
    const received = new Promise<string>((resolve) =>
      subscriber.on('message', (_ch, msg) => resolve(msg)),
    );
    await subscriber.subscribe('news');
    await redis.client?.publish('news', 'hello');
    expect(await received).toBe('hello');
    await redis.close();
    expect(subscriber.status).toBe('end');
    expect(redis.client?.status).toBe('end');
  });

  it('close() is idempotent: a second call returns the same promise', async () => {
    const redis = connect({ REDIS_URL: server.url });
    const seen: RedisStatus[] = [];
    redis.on('status', (status) => seen.push(status));
    await redis.waitUntilReady();
    const first = redis.close();
    expect(redis.close()).toBe(first);
    await first;
    expect(redis.status).toBe('closed');
    expect(seen).toEqual(['ready', 'closed']);
    expect(await redis.health()).toMatchObject({ healthy: false, status: 'closed' });
    expect(() => redis.duplicate()).toThrow(/closed/);
  });

  it('a throwing status listener is logged, not thrown', async () => {
    const { logger, lines } = captureLogger();
    const redis = connect({ REDIS_URL: server.url }, { logger });
    redis.on('status', () => {
      throw new Error('listener bug');
    });
    await redis.waitUntilReady();
    expect(
      lines.some((l) => l.level === 'error' && JSON.stringify(l.obj).includes('listener bug')),
    ).toBe(true);
  });
});

describe('TLS and ACL', () => {
  it('connects over TLS with REDIS_TLS_CA_FILE (discrete vars and rediss:// URL)', async () => {
    const server = await startRedis({ tls: true });
    onTestFinished(() => server.stop());
    const tlsFiles = server.tls;
    if (!tlsFiles) throw new Error('expected TLS files');
    const discrete = connect({
      REDIS_HOST: server.host,
      REDIS_PORT: String(server.port),
      REDIS_TLS: 'true',
      REDIS_TLS_CA_FILE: tlsFiles.caFile,
    });
    await discrete.waitUntilReady(10_000);
    expect(await discrete.client?.ping()).toBe('PONG');
    const url = connect({ REDIS_URL: server.url, REDIS_TLS_CA_FILE: tlsFiles.caFile });
    await url.client?.set('tls', 'ok');
    expect(await url.client?.get('tls')).toBe('ok');
  });

  it('authenticates as an ACL user from the URL and from discrete vars', async () => {
    // startRedis({ aclUser }) fails on redis-server 7.0 ("Spaces not allowed in ACL usernames"),
    // so the user is created at run time instead; the default user stays on for redis-cli.
    const server = await startRedis();
    onTestFinished(() => server.stop());
    await server.cli('ACL', 'SETUSER', 'clinic', 'on', '>p@ss:w/rd!', '~*', '&*', '+@all');
    const viaUrl = connect({
      REDIS_URL: `redis://clinic:${encodeURIComponent('p@ss:w/rd!')}@${server.host}:${server.port}`,
    });
    expect(await single(viaUrl).call('ACL', 'WHOAMI')).toBe('clinic');
    const viaVars = connect({
      REDIS_HOST: server.host,
      REDIS_PORT: String(server.port),
      REDIS_USERNAME: 'clinic',
      REDIS_PASSWORD: 'p@ss:w/rd!',
    });
    expect(await single(viaVars).call('ACL', 'WHOAMI')).toBe('clinic');
  });
});

describe('failure behaviour', () => {
  it('wrong password: status down with a clear error, no crash, password never logged', async () => {
    const password = 'correct-horse-battery';
    const wrong = 'Wr0ng-Pa55word-xyz';
    const server = await startRedis({ password });
    onTestFinished(() => server.stop());
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => {
      process.off('unhandledRejection', onUnhandled);
    });
    const { logger, lines, text } = captureLogger();
    const redis = connect(
      { REDIS_URL: `redis://:${wrong}@${server.host}:${server.port}` },
      { logger },
    );
    const statuses: RedisStatus[] = [];
    redis.on('status', (status) => statuses.push(status));
    await waitUntil(() => redis.status === 'down', { what: 'status down', timeoutMs: 10_000 });
    expect(redis.lastError?.message).toMatch(/WRONGPASS/);
    const health = await redis.health();
    expect(health).toMatchObject({ healthy: false, status: 'down' });
    expect(health.error).toMatch(/WRONGPASS/);
    await expect(redis.client?.get('x')).rejects.toThrow();
    await expect(redis.waitUntilReady(200)).rejects.toThrow(/WRONGPASS/);
    // It keeps retrying in the background (the password may be fixed server-side) without logging each retry.
    let retries = 0;
    redis.client?.on('reconnecting', () => retries++);
    await waitUntil(() => retries >= 3, { what: 'three more retries', timeoutMs: 15_000 });
    expect(statuses).toEqual(['down']);
    await redis.close();
    const output = `${text()}\n${JSON.stringify(health)}\n${redis.lastError?.message}`;
    expect(output).not.toContain(wrong);
    expect(output).not.toContain(encodeURIComponent(wrong));
    expect(output).not.toContain(password);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });

  it('returns at once while Redis is unreachable, goes down, and no command waits forever', async () => {
    const port = await freePort();
    const { logger, lines } = captureLogger();
    const started = performance.now();
    const redis = connect(
      { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(port), REDIS_COMMAND_TIMEOUT: '500ms' },
      { logger },
    );
    expect(performance.now() - started).toBeLessThan(200);
    expect(redis.status).toBe('connecting');
    await waitUntil(() => redis.status === 'down', { what: 'status down', timeoutMs: 10_000 });
    expect(redis.lastError?.message).toMatch(/ECONNREFUSED/);
    // maxRetriesPerRequest (2) rejects queued commands after three failed attempts.
    const get = await timed(redis.client?.get('k') ?? Promise.resolve(null));
    expect(get.error).toBeInstanceOf(Error);
    expect(get.ms).toBeLessThan(1500);
    const health = await timed(redis.health({ timeoutMs: 300 }));
    expect(health.value).toMatchObject({ healthy: false, status: 'down' });
    expect(health.ms).toBeLessThan(300);
    expect(lines.filter((l) => l.level !== 'debug')).toHaveLength(1);
  });

  it('commandTimeout bounds queued commands even when maxRetriesPerRequest is large', async () => {
    const port = await freePort();
    const redis = connect({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(port),
      REDIS_COMMAND_TIMEOUT: '400ms',
      REDIS_MAX_RETRIES_PER_REQUEST: '1000',
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        timed(redis.client?.get(`k${i}`) ?? Promise.resolve(null)),
      ),
    );
    for (const r of results) {
      expect(r.error?.message).toBe('Command timed out');
      expect(r.ms).toBeLessThan(400 * 3);
    }
  });

  it('SIGKILL then restart: back to ready within 2.5 s of the server returning, one log line per change', async () => {
    const server = await startRedis();
    onTestFinished(() => server.stop());
    const { logger, lines } = captureLogger();
    const redis = connect(
      { REDIS_URL: server.url, REDIS_DOWN_AFTER: '500ms', REDIS_RETRY_MAX: '100ms' },
      { logger },
    );
    await redis.waitUntilReady(10_000);
    const statuses: RedisStatus[] = [];
    redis.on('status', (status) => statuses.push(status));
    let retries = 0;
    redis.client?.on('reconnecting', () => retries++);

    await server.kill();
    await waitUntil(() => redis.status === 'down', {
      what: 'status down after downAfter',
      timeoutMs: 10_000,
    });
    await waitUntil(() => retries >= 15, { what: 'many reconnect attempts', timeoutMs: 20_000 });
    const during = await redis.client?.get('k').catch((e: Error) => e);
    expect(during).toBeInstanceOf(Error);

    await server.restart();
    const back = performance.now();
    await redis.waitUntilReady(10_000);
    expect(performance.now() - back).toBeLessThan(2500);
    await redis.client?.set('after', 'restart');
    expect(await redis.client?.get('after')).toBe('restart');

    expect(statuses).toEqual(['reconnecting', 'down', 'ready']);
    await waitUntil(() => redis.runtime?.available === true, { what: 'outage to end' });
    const changeLines = lines.filter((l) => l.level !== 'debug');
    // ready (initial) + outage started (warn) + outage ended (info): not one per retry or change.
    expect(changeLines.map((l) => `${l.level} ${l.msg}`)).toEqual([
      'info redis ready',
      expect.stringMatching(/^warn redis outage started/),
      'info redis outage ended',
    ]);
    expect(retries).toBeGreaterThan(changeLines.length * 3);
  });

  it('default backoff (2 s cap): ready within 2.5 s of a restart after a longer outage', async () => {
    const server = await startRedis();
    onTestFinished(() => server.stop());
    const redis = connect({ REDIS_URL: server.url });
    await redis.waitUntilReady(10_000);
    let retries = 0;
    redis.client?.on('reconnecting', () => retries++);
    await server.kill();
    // Wait until the backoff has reached its cap (50·2^5 = 1.6 s, then 2 s).
    await waitUntil(() => retries >= 7, { what: 'backoff to reach its cap', timeoutMs: 20_000 });
    await server.restart();
    const back = performance.now();
    await redis.waitUntilReady(10_000);
    expect(performance.now() - back).toBeLessThan(2500);
    expect(await redis.client?.ping()).toBe('PONG');
  });

  it('paused server: health() and commands are bounded, close() falls back to disconnect', async () => {
    const server = await startRedis();
    onTestFinished(async () => {
      server.resume();
      await server.stop();
    });
    const redis = connect({ REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT: '600ms' });
    await redis.waitUntilReady(10_000);
    server.pause();
    const health = await timed(redis.health({ timeoutMs: 300 }));
    expect(health.value).toMatchObject({ healthy: false, error: 'PING timed out after 300 ms' });
    expect(health.ms).toBeGreaterThanOrEqual(290);
    expect(health.ms).toBeLessThan(900);
    const get = await timed(redis.client?.get('k') ?? Promise.resolve(null));
    expect(get.error?.message).toBe('Command timed out');
    expect(get.ms).toBeLessThan(600 * 3);
    const close = await timed(redis.close({ timeoutMs: 300 }));
    expect(close.ms).toBeLessThan(900);
    expect(redis.status).toBe('closed');
    expect(redis.client?.status).toBe('end');
  });
});
