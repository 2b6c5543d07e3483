import { describeEachTopology, type TopologyContext } from '@redis-toolkit/testing';
import type { RequestHandler } from 'express';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { unverifiedSessionId } from '../src/early-load.js';
import { createSessionMiddleware, type SessionMiddleware } from '../src/index.js';
import { Browser, SECRET, startApp } from './helpers.js';

function dataServers(ctx: TopologyContext) {
  if (ctx.standalone) return [ctx.standalone];
  if (ctx.cluster) return ctx.cluster.nodes;
  return ctx.sentinel!.servers;
}

/** Stands for a rate limiter: answers 429 on /blocked, else waits a moment and passes on. */
const limiterLike: RequestHandler = (req, res, next) => {
  if (req.path === '/blocked') {
    res.status(429).json({ error: 'limited' });
    return;
  }
  setTimeout(next, 2);
};

const sessionReads = (mw: SessionMiddleware) => {
  let reads = 0;
  mw.events.on((event) => {
    if (event.operation === 'get') reads++;
  });
  return () => reads;
};

let n = 0;
describeEachTopology('session prefetch', (ctx) => {
  const make = () =>
    createSessionMiddleware({
      redis: ctx.client(),
      secret: SECRET,
      prefix: `pf${process.pid}x${++n}:`,
      production: false,
      commandTimeout: '300ms',
    });

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('the session middleware takes the early load: one read per request, the same session', async () => {
    const mw = make();
    const { url } = await startApp(mw, (app) => app.use(mw.prefetch, limiterLike));
    const b = new Browser(url);
    expect((await b.req('POST', '/login?user=ann')).status).toBe(200);
    expect((await b.req('POST', '/count')).body.count).toBe(1);
    const reads = sessionReads(mw);
    for (let i = 0; i < 5; i++) {
      const me = await b.req('GET', '/me');
      expect(me.body).toEqual({ userId: 'ann', count: 1 });
    }
    expect(reads()).toBe(5);
    expect((await b.req('POST', '/count')).body.count).toBe(2);
    // a logout sticks: the next early load finds nothing
    expect((await b.req('POST', '/logout')).status).toBe(200);
    expect((await b.req('GET', '/me')).body.userId).toBeNull();
  });

  it('a cookie with a bad signature gets no session, though its id was read early', async () => {
    const mw = make();
    const { url } = await startApp(mw, (app) => app.use(mw.prefetch, limiterLike));
    const b = new Browser(url);
    expect((await b.req('POST', '/login?user=bob')).status).toBe(200);
    const good = b.cookie!;
    const sid = unverifiedSessionId(
      { headers: { cookie: `sid=${good}` } } as Parameters<typeof unverifiedSessionId>[0],
      'sid',
    );
    expect(sid).toBe(b.sid);
    const forged = new Browser(url);
    forged.cookie = `${good.slice(0, good.lastIndexOf('.'))}.AAAAforgedsignatureAAAA`;
    expect((await forged.req('GET', '/me')).body.userId).toBeNull();
    expect((await b.req('GET', '/me')).body.userId).toBe('bob');
  });

  it('a request answered before the session (429) while Redis hangs leaves no unhandled rejection', async () => {
    const mw = make();
    const { url } = await startApp(mw, (app) => app.use(mw.prefetch, limiterLike));
    const b = new Browser(url);
    expect((await b.req('POST', '/login?user=cat')).status).toBe(200);
    const servers = dataServers(ctx);
    for (const s of servers) s.pause();
    try {
      expect((await b.req('GET', '/blocked')).status).toBe(429);
      // the early read times out (300 ms) with nobody to take it
      await new Promise((r) => setTimeout(r, 800));
      expect(mw.stats().redis).toBe('down');
    } finally {
      for (const s of servers) s.resume();
    }
    expect(unhandled).toEqual([]);
  });
});

it('unverifiedSessionId: the id between `s:` and the signature, at a cookie boundary only', () => {
  const req = (cookie?: string) =>
    ({ headers: cookie === undefined ? {} : { cookie } }) as Parameters<
      typeof unverifiedSessionId
    >[0];
  expect(unverifiedSessionId(req('sid=s%3Aabc.sig'), 'sid')).toBe('abc');
  expect(unverifiedSessionId(req('a=1; sid=s:abc.def.sig'), 'sid')).toBe('abc.def');
  expect(unverifiedSessionId(req('xsid=s%3Anope.sig; sid=s%3Ayes.sig'), 'sid')).toBe('yes');
  expect(unverifiedSessionId(req('xsid=s%3Anope.sig'), 'sid')).toBeUndefined();
  expect(unverifiedSessionId(req('sid=plain'), 'sid')).toBeUndefined();
  expect(unverifiedSessionId(req('sid=s%3A.sig'), 'sid')).toBeUndefined();
  expect(unverifiedSessionId(req('sid=%E0%A4%A'), 'sid')).toBeUndefined();
  expect(unverifiedSessionId(req(), 'sid')).toBeUndefined();
});
