import type { AddressInfo } from 'node:net';
import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cacheResponse, invalidate, invalidateResponses } from '../src/express/index.js';
import { createCache } from '../src/index.js';

let server: RedisServer;
let redis: Redis;
let base: string;
let close: () => Promise<void>;
const calls: Record<string, number> = {};
let failPatients = false;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  const cache = createCache({
    redis,
    prefix: 'api:',
    maxMemoryEntries: 1000,
    l1: { mode: 'tier' },
  });
  const app = express();
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  // a fake auth: the user comes from a header
  app.use((req, _res, next) => {
    (req as express.Request & { user?: string }).user = req.header('x-user') ?? undefined;
    next();
  });
  const user = (req: express.Request) => (req as express.Request & { user?: string }).user;
  app.get(
    '/patients',
    cacheResponse({ cache, ttl: 60, grace: 60, tags: ['patients'] }),
    (req, res) => {
      count('patients');
      if (failPatients) return void res.status(503).json({ error: 'db down' });
      res.json({ page: req.query.page ?? '1', limit: req.query.limit ?? '10', n: calls.patients });
    },
  );
  app.get('/short', cacheResponse({ cache, ttl: '200ms', grace: 60 }), (_req, res) => {
    count('short');
    if (failPatients) return void res.status(500).json({ error: 'boom' });
    res.json({ n: calls.short });
  });
  app.get('/missing', cacheResponse({ cache, ttl: 60 }), (_req, res) => {
    count('missing');
    res.status(404).json({ error: 'nope' });
  });
  app.get('/cookie', cacheResponse({ cache, ttl: 60 }), (_req, res) => {
    count('cookie');
    res.cookie('sid', 'abc').json({ n: calls.cookie });
  });
  app.get('/private', cacheResponse({ cache, ttl: 60 }), (_req, res) => {
    count('private');
    res.set('Cache-Control', 'private').json({ n: calls.private });
  });
  app.get('/me', cacheResponse({ cache, ttl: 60, varyBy: user }), (req, res) => {
    count('me');
    res.set('Cache-Control', 'private').json({ me: user(req) ?? null });
  });
  app.post('/patients', invalidate({ cache, tags: ['patients'] }), (_req, res) => {
    res.status(201).json({ ok: true });
  });
  app.put('/patients', async (_req, res) => {
    await invalidateResponses(cache, { paths: ['/patients'] });
    res.json({ ok: true });
  });
  const http = app.listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  close = async () => {
    await new Promise((r) => http.close(r));
    await cache.close();
  };
});
afterAll(async () => {
  await close?.();
  redis?.disconnect();
  await server?.stop();
});

it('MISS then HIT, query order normalised, ETag → 304, HEAD', async () => {
  const a = await fetch(`${base}/patients?page=2&limit=10`);
  expect(a.headers.get('x-cache')).toBe('MISS');
  const body = await a.json();
  const b = await fetch(`${base}/patients?limit=10&page=2`);
  expect(b.headers.get('x-cache')).toBe('HIT');
  expect(await b.json()).toEqual(body);
  expect(calls.patients).toBe(1);
  const etag = b.headers.get('etag')!;
  const c = await fetch(`${base}/patients?page=2&limit=10`, { headers: { 'If-None-Match': etag } });
  expect(c.status).toBe(304);
  const head = await fetch(`${base}/patients?page=2&limit=10`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(head.headers.get('x-cache')).toBe('HIT');
  const other = await fetch(`${base}/patients?page=3&limit=10`);
  expect(other.headers.get('x-cache')).toBe('MISS');
  expect(calls.patients).toBe(2);
});

it('never caches non-2xx, Set-Cookie or Cache-Control private responses', async () => {
  for (const path of ['/missing', '/cookie', '/private']) {
    await fetch(`${base}${path}`);
    const again = await fetch(`${base}${path}`);
    expect(again.headers.get('x-cache')).not.toBe('HIT');
    expect(calls[path.slice(1)]).toBe(2);
  }
});

it('varyBy the user: a response cached for one user is never served to another', async () => {
  const ada = await fetch(`${base}/me`, { headers: { 'x-user': 'ada' } });
  expect(await ada.json()).toEqual({ me: 'ada' });
  const ada2 = await fetch(`${base}/me`, { headers: { 'x-user': 'ada' } });
  expect(ada2.headers.get('x-cache')).toBe('HIT');
  const bob = await fetch(`${base}/me`, { headers: { 'x-user': 'bob' } });
  expect(bob.headers.get('x-cache')).toBe('MISS');
  expect(await bob.json()).toEqual({ me: 'bob' });
  // a user id built to collide with another key segment stays separate
  const evil = await fetch(`${base}/me`, { headers: { 'x-user': 'ada:shared' } });
  expect(await evil.json()).toEqual({ me: 'ada:shared' });
  // anonymous + private → not cached at all
  await fetch(`${base}/me`);
  const anon = await fetch(`${base}/me`);
  expect(anon.headers.get('x-cache')).toBe('BYPASS');
});

it('serves STALE when the handler fails after ttl; invalidate helpers for write routes', async () => {
  await fetch(`${base}/short`);
  await waitUntil(async () => (await fetch(`${base}/short`)).headers.get('x-cache') === 'MISS', {
    timeoutMs: 5000,
    intervalMs: 100,
    what: 'ttl passed',
  });
  const fresh = (await (await fetch(`${base}/short`)).json()) as { n: number };
  await waitUntil(
    async () => {
      failPatients = true;
      const r = await fetch(`${base}/short`);
      failPatients = false;
      if (r.headers.get('x-cache') !== 'STALE') return false;
      expect(r.status).toBe(200);
      expect(((await r.json()) as { n: number }).n).toBe(fresh.n);
      return true;
    },
    { timeoutMs: 5000, intervalMs: 100, what: 'stale served' },
  );
  // with nothing stale, the error goes through
  failPatients = true;
  const miss = await fetch(`${base}/patients?page=99`);
  failPatients = false;
  expect(miss.status).toBe(503);

  expect((await fetch(`${base}/patients?page=2&limit=10`)).headers.get('x-cache')).toBe('HIT');
  await fetch(`${base}/patients`, { method: 'PUT' });
  expect((await fetch(`${base}/patients?page=2&limit=10`)).headers.get('x-cache')).toBe('MISS');
  expect((await fetch(`${base}/patients?page=3&limit=10`)).headers.get('x-cache')).toBe('MISS');

  expect((await fetch(`${base}/patients?page=2&limit=10`)).headers.get('x-cache')).toBe('HIT');
  expect((await fetch(`${base}/patients`, { method: 'POST' })).status).toBe(201);
  await waitUntil(
    async () => (await fetch(`${base}/patients?page=2&limit=10`)).headers.get('x-cache') === 'MISS',
    {
      timeoutMs: 5000,
      what: 'tag invalidation',
    },
  );
});
