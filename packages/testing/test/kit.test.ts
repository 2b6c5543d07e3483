import { fileURLToPath } from 'node:url';
import express from 'express';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CaptureLogFn,
  captureLogger,
  cookieClient,
  listen,
  type RedisServer,
  spawnNodeInstance,
  startInstances,
  startRedis,
  TestKitError,
  WaitTimeoutError,
  waitUntil,
} from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/http-instance.mjs', import.meta.url));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

describe('listen', () => {
  it('serves on a free loopback port and close() does not wait for open sockets', async () => {
    const app = express();
    app.get('/ping', (_req, res) => {
      res.json({ pong: true });
    });
    // A handler that never answers, like an SSE stream or a request stuck on a dead Redis.
    let hangingArrived = false;
    app.get('/hang', () => {
      hangingArrived = true;
    });
    const server = await listen(app);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.port).not.toBe(6379);
    const res = await fetch(`${server.url}/ping`, { headers: { connection: 'keep-alive' } });
    expect(await res.json()).toEqual({ pong: true });
    const hanging = fetch(`${server.url}/hang`).then(
      () => 'answered',
      () => 'aborted',
    );
    await waitUntil(() => hangingArrived, { what: 'the hanging request to reach the app' });

    const started = Date.now();
    await server.close();
    // server.close() alone would wait for /hang forever (or until requestTimeout, 300 s).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await hanging).toBe('aborted');
    expect(server.server.listening).toBe(false);
    expect(await refused(`${server.url}/ping`)).toBe(true);
    await server.close(); // idempotent
  });
});

describe('captureLogger', () => {
  it('records both call shapes, child bindings, and filters by level', () => {
    const log = captureLogger();
    log.info('plain %s', 'message');
    log.warn({ key: 'k1', attempt: 2 }, 'retrying');
    log.child({ component: 'session' }).error({ code: 'E1' }, 'store down');
    log.debug({ msg: 'from object' });
    log.error(new Error('boom'));

    expect(log.entries).toEqual([
      { level: 'info', msg: 'plain message', fields: {} },
      { level: 'warn', msg: 'retrying', fields: { key: 'k1', attempt: 2 } },
      { level: 'error', msg: 'store down', fields: { component: 'session', code: 'E1' } },
      { level: 'debug', msg: 'from object', fields: {} },
      { level: 'error', msg: 'boom', fields: { err: expect.any(Error) } },
    ]);
    expect(log.lines('error').map((e) => e.msg)).toEqual(['store down', 'boom']);
    expect(log.find(/retry/)?.fields.key).toBe('k1');
    expect(log.find(/nothing like this/)).toBeUndefined();

    const quiet = captureLogger('warn');
    quiet.info('dropped');
    quiet.child({ a: 1 }).warn('kept');
    expect(quiet.entries.map((e) => e.msg)).toEqual(['kept']);
    expect(quiet.isLevelEnabled('debug')).toBe(false);

    log.clear();
    expect(log.entries).toHaveLength(0);
  });

  it('containsText sees a secret in messages, nested fields, arrays and errors', () => {
    const secret = 's3cr3t-"token"';
    const probe = (write: (log: ReturnType<typeof captureLogger>) => void) => {
      const log = captureLogger();
      write(log);
      return log.containsText(secret);
    };
    expect(probe((l) => l.trace(`token ${secret}`))).toBe(true);
    expect(probe((l) => l.debug({ req: { headers: { authorization: secret } } }, 'req'))).toBe(
      true,
    );
    expect(probe((l) => l.info({ list: ['a', { deep: [secret] }] }))).toBe(true);
    expect(probe((l) => l.child({ sid: secret }).fatal('bye'))).toBe(true);
    expect(probe((l) => l.error({ err: new Error(`bad ${secret}`) }, 'failed'))).toBe(true);
    expect(probe((l) => l.warn({ headers: new Map([['cookie', secret]]) }))).toBe(true);
    expect(probe((l) => l.info({ user: 'u1', redacted: '[REDACTED]' }, 'login'))).toBe(false);
  });

  it('fits the toolkit Logger shape', () => {
    interface LogFn {
      (obj: object, msg?: string): void;
      (msg: string): void;
    }
    interface Logger {
      debug: LogFn;
      info: LogFn;
      warn: LogFn;
      error: LogFn;
    }
    const logger: Logger = captureLogger();
    logger.info({ a: 1 }, 'typed');
    expectTypeOf<CaptureLogFn>().toMatchTypeOf<LogFn>();
  });
});

function sessionApp() {
  const app = express();
  app.use(express.json());
  const cookiesOf = (header: string | undefined) =>
    Object.fromEntries(
      (header ?? '')
        .split(';')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
    );
  app.post('/login', (req, res) => {
    res.cookie('sid', `sid-${req.body.user}`, { httpOnly: true });
    res.cookie('csrf', 'csrf-123');
    res.cookie('tmp', 'gone-soon', { maxAge: 60_000 });
    res.json({ ok: true });
  });
  app.get('/whoami', (req, res) => {
    res.json({ cookies: cookiesOf(req.headers.cookie) });
  });
  app.post('/logout', (_req, res) => {
    res.clearCookie('sid');
    res.append('Set-Cookie', 'tmp=x; Max-Age=0');
    res.type('text').send('bye');
  });
  app.put('/protected', (req, res) => {
    if (req.headers['x-csrf-token'] !== 'csrf-123') {
      res.status(403).json({ error: 'csrf' });
      return;
    }
    res.json({ saved: req.body });
  });
  app.delete('/thing', (_req, res) => {
    res.status(204).end();
  });
  app.get('/bounce', (_req, res) => {
    res.cookie('bounced', 'yes');
    res.redirect(302, '/whoami');
  });
  app.get('/broken', (_req, res) => {
    res.type('json').send('{not json');
  });
  return app;
}

describe('cookieClient', () => {
  it('keeps several cookies, deletes on expiry, and sends default headers', async () => {
    const server = await listen(sessionApp());
    cleanups.push(server.close);
    const client = cookieClient(`${server.url}/`);

    const login = await client.post<{ ok: boolean }>('/login', { user: 'ann' });
    expect(login.status).toBe(200);
    expect(login.body.ok).toBe(true);
    expect(client.jar.all()).toEqual({ sid: 'sid-ann', csrf: 'csrf-123', tmp: 'gone-soon' });

    const who = await client.get<{ cookies: Record<string, string> }>('/whoami');
    expect(who.body.cookies).toEqual({ sid: 'sid-ann', csrf: 'csrf-123', tmp: 'gone-soon' });

    expect((await client.put('/protected', { x: 1 })).status).toBe(403);
    client.setHeader('X-CSRF-Token', client.jar.get('csrf'));
    const saved = await client.put<{ saved: unknown }>('/protected', { x: 1 });
    expect(saved.status).toBe(200);
    expect(saved.body.saved).toEqual({ x: 1 });
    client.setHeader('x-csrf-token', undefined);
    expect((await client.put('/protected', { x: 1 })).status).toBe(403);

    const del = await client.delete('/thing');
    expect(del.status).toBe(204);
    expect(del.body).toBe('');

    const logout = await client.post('/logout');
    expect(logout.body).toBe('bye');
    expect(client.jar.all()).toEqual({ csrf: 'csrf-123' });
    const after = await client.get<{ cookies: Record<string, string> }>('/whoami');
    expect(after.body.cookies).toEqual({ csrf: 'csrf-123' });
  });

  it('keeps Set-Cookie of a redirect, shares the jar across instances, rejects bad JSON', async () => {
    const a = await listen(sessionApp());
    const b = await listen(sessionApp());
    cleanups.push(a.close, b.close);
    const client = cookieClient(a.url);

    const bounce = await client.get('/bounce');
    expect(bounce.status).toBe(302);
    expect(bounce.headers.get('location')).toBe('/whoami');
    expect(client.jar.get('bounced')).toBe('yes');

    const onB = client.withBase(b.url);
    const who = await onB.get<{ cookies: Record<string, string> }>('/whoami');
    expect(who.body.cookies).toEqual({ bounced: 'yes' });

    const error = await client.get('/broken').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestKitError);
    expect((error as TestKitError).code).toBe('E_BAD_JSON');
  });

  it('drops a cookie whose Max-Age has run out', () => {
    const client = cookieClient('http://127.0.0.1:1');
    client.jar.store([
      'short=1; Max-Age=1; Path=/',
      'long=2; Expires=Fri, 01 Jan 2100 00:00:00 GMT',
    ]);
    client.jar.store(['old=3; Max-Age=1'], Date.now() - 2_000);
    expect(client.jar.all()).toEqual({ short: '1', long: '2' });
    client.jar.store(['long=2; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(client.jar.header()).toBe('short=1');
  });
});

describe('startInstances', () => {
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('runs two app instances on one Redis and closes both', async () => {
    redis = await startRedis();
    const { host, port } = redis;
    const instances = await startInstances(2, async (index) => {
      const client = new Redis({ host, port, maxRetriesPerRequest: 1 });
      const app = express();
      app.post('/hit', async (_req, res) => {
        res.json({ index, count: await client.incr('hits') });
      });
      const server = await listen(app);
      return {
        url: server.url,
        close: async () => {
          await server.close();
          client.disconnect();
        },
      };
    });
    expect(instances.urls).toHaveLength(2);
    expect(new Set(instances.urls).size).toBe(2);
    const first = cookieClient(instances.urls[0]!);
    const second = first.withBase(instances.urls[1]!);
    expect((await first.post('/hit')).body).toEqual({ index: 0, count: 1 });
    expect((await second.post('/hit')).body).toEqual({ index: 1, count: 2 });

    await instances.close();
    for (const url of instances.urls) expect(await refused(url)).toBe(true);
    await instances.close(); // idempotent
  });

  it('closes the instances that started when another one fails', async () => {
    const closed: number[] = [];
    const error = await startInstances(3, async (index) => {
      if (index === 1) throw new Error('port taken');
      return { url: `http://instance-${index}`, close: async () => void closed.push(index) };
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestKitError);
    expect((error as TestKitError).code).toBe('E_INSTANCE_START');
    expect((error as Error).message).toContain('port taken');
    expect(closed.sort()).toEqual([0, 2]);
  });
});

describe('spawnNodeInstance', () => {
  it('waits for the listening line, and a killed instance stops answering', async () => {
    const instance = await spawnNodeInstance(FIXTURE, { INSTANCE_NAME: 'api-1' });
    cleanups.push(() => instance.kill('SIGKILL'));
    expect(instance.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await cookieClient(instance.url).get<{ pid: number; name: string }>('/');
    expect(reply.body).toEqual({ pid: instance.pid, name: 'api-1' });
    expect(instance.output()).toContain('booting');

    expect(await instance.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await instance.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await refused(instance.url)).toBe(true);
  });

  it('rejects with the output when the process exits before it is ready', async () => {
    const error = await spawnNodeInstance(FIXTURE, { FAIL_BEFORE_READY: '1' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TestKitError);
    expect((error as TestKitError).code).toBe('E_INSTANCE_NOT_READY');
    expect((error as Error).message).toContain('code 3');
    expect((error as Error).message).toContain('boot failed: missing config');
  });

  it('composes with startInstances', async () => {
    const instances = await startInstances(2, (i) =>
      spawnNodeInstance(FIXTURE, { INSTANCE_NAME: `n${i}` }),
    );
    cleanups.push(instances.close);
    const names = await Promise.all(
      instances.urls.map(async (url) => (await cookieClient(url).get<{ name: string }>('/')).body),
    );
    expect(names.map((n) => n.name)).toEqual(['n0', 'n1']);
    await instances.close();
    expect(await Promise.all(instances.all.map((i) => i.exited))).toEqual([
      { code: null, signal: 'SIGTERM' },
      { code: null, signal: 'SIGTERM' },
    ]);
  });
});

describe('waitUntil', () => {
  it('resolves once the check passes', async () => {
    let calls = 0;
    await waitUntil(() => ++calls >= 3, { intervalMs: 5 });
    expect(calls).toBe(3);
  });

  it('reports the last error on timeout', async () => {
    const error = await waitUntil(
      () => {
        throw new Error('ECONNREFUSED 127.0.0.1:1');
      },
      { timeoutMs: 100, intervalMs: 10, what: 'redis to answer' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    const timeout = error as WaitTimeoutError;
    expect(timeout.message).toMatch(
      /timed out after 100 ms waiting for redis to answer \(\d+ attempts; last error: Error: ECONNREFUSED 127\.0\.0\.1:1\)/,
    );
    expect(timeout.lastError).toBeInstanceOf(Error);
    expect(timeout.cause).toBe(timeout.lastError);
    expect(timeout.attempts).toBeGreaterThan(1);
  });

  it('reports the last value on timeout, and a hung check does not outlive the deadline', async () => {
    const falsy = await waitUntil(() => false, { timeoutMs: 50, intervalMs: 10 }).catch(
      (e: unknown) => e,
    );
    expect((falsy as WaitTimeoutError).message).toContain('last value: false');
    expect((falsy as WaitTimeoutError).lastValue).toBe(false);

    const started = Date.now();
    const hung = await waitUntil(() => new Promise<boolean>(() => {}), { timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((hung as WaitTimeoutError).message).toContain('still pending at the deadline');
  });
});
