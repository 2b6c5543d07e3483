import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSessionMiddleware } from '@redis-toolkit/session';
import { RedisStore } from 'connect-redis';
import express, { type Express } from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import {
  type BenchContext,
  fmtRate,
  measure,
  type Scenario,
  table,
  throughput,
} from '../context.js';

const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';

interface Running {
  port: number;
  close(): Promise<void>;
}

async function listen(app: Express): Promise<Running> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One HTTP request over a keep-alive agent; resolves with the Set-Cookie pair, if any. */
function hit(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  cookie?: string,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, headers: cookie ? { cookie } : {} },
      (res) => {
        const set = res.headers['set-cookie']?.[0]?.split(';')[0];
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve(set) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function routes(app: Express): void {
  app.get('/touch', (req, res) => {
    res.json({ user: (req.session as { user?: string }).user ?? req.session.auth?.userId });
  });
  app.post('/save', (req, res) => {
    const s = req.session as { n?: number };
    s.n = (s.n ?? 0) + 1;
    res.json({ n: s.n });
  });
}

export const scenario: Scenario = {
  id: 'session',
  title: 'Sessions: per-request cost and listing a user with 1,000 sessions',
  async run(ctx: BenchContext): Promise<string> {
    const redisOpts = { host: ctx.redis.host, port: ctx.redis.port };
    const oursClient = new Redis(redisOpts);
    const peerClient = new Redis(redisOpts);
    const mw = createSessionMiddleware({ redis: oursClient, secret: SECRET, production: false });
    const ours = express();
    ours.use(mw);
    ours.post('/login', async (req, res) => {
      await mw.login(req, { id: `u${Math.random()}` });
      res.json({});
    });
    routes(ours);
    const peer = express();
    peer.use(
      session({
        store: new RedisStore({ client: peerClient, prefix: 'peer:' }),
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        cookie: { httpOnly: true, sameSite: 'lax', maxAge: 7 * 86_400_000 },
      }),
    );
    peer.post('/login', (req, res) => {
      req.session.regenerate(() => {
        (req.session as { user?: string }).user = `u${Math.random()}`;
        res.json({});
      });
    });
    routes(peer);
    const bare = express();
    bare.get('/touch', (_req, res) => {
      res.json({ user: null });
    });
    const servers = {
      ours: await listen(ours),
      peer: await listen(peer),
      bare: await listen(bare),
    };

    const count = ctx.quick ? 400 : 2000;
    const rows: (string | number)[][] = [
      [
        'request (keep-alive HTTP, logged-in session)',
        'c',
        'express (no session)',
        'express-session + connect-redis 8.1',
        '@redis-toolkit/session',
        'ours / peer',
      ],
    ];
    try {
      for (const c of [1, 10]) {
        const agent = new Agent({ keepAlive: true, maxSockets: c });
        const cookies: Record<'ours' | 'peer', string[]> = { ours: [], peer: [] };
        for (const impl of ['ours', 'peer'] as const) {
          for (let i = 0; i < c; i++)
            cookies[impl].push((await hit(agent, servers[impl].port, 'POST', '/login'))!);
        }
        const run = (impl: 'ours' | 'peer', method: string, path: string) =>
          throughput(count, c, (i) =>
            hit(agent, servers[impl].port, method, path, cookies[impl][i % c]),
          );
        const floor = await throughput(count, c, () =>
          hit(agent, servers.bare.port, 'GET', '/touch'),
        );
        // warm-up, then each cell twice in mirrored order (peer, ours, ours, peer), best of the two,
        // so load from other processes on the shared machine hits both sides alike
        await run('ours', 'GET', '/touch');
        await run('peer', 'GET', '/touch');
        const best = async (method: string, path: string) => {
          const p1 = await run('peer', method, path);
          const o1 = await run('ours', method, path);
          const o2 = await run('ours', method, path);
          const p2 = await run('peer', method, path);
          return { peer: Math.max(p1, p2), ours: Math.max(o1, o2) };
        };
        const { peer: touchPeer, ours: touchOurs } = await best('GET', '/touch');
        const { peer: savePeer, ours: saveOurs } = await best('POST', '/save');
        rows.push([
          'load + touch (GET, unchanged session)',
          c,
          fmtRate(floor),
          fmtRate(touchPeer),
          fmtRate(touchOurs),
          `${(touchOurs / touchPeer).toFixed(2)}×`,
        ]);
        rows.push([
          'load + save (POST, session modified)',
          c,
          fmtRate(floor),
          fmtRate(savePeer),
          fmtRate(saveOurs),
          `${(saveOurs / savePeer).toFixed(2)}×`,
        ]);
        agent.destroy();
      }

      // Listing: 1,000 sessions for one user among 10,000 in all.
      const now = Date.now();
      const maxAge = 7 * 86_400_000;
      const sessionData = (userId: string) => ({
        cookie: {
          originalMaxAge: maxAge,
          expires: new Date(now + maxAge).toISOString(),
          httpOnly: true,
          path: '/',
        },
        auth: { userId, createdAt: now, ip: '127.0.0.1', userAgent: 'bench' },
      });
      const setup = performance.now();
      const userSids: string[] = [];
      for (let i = 0; i < 1000; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, async () => {
            const sid = randomBytes(24).toString('base64url');
            userSids.push(sid);
            const data = sessionData('heavy-user') as unknown as session.SessionData;
            await mw.store.write(sid, data);
            await mw.store.indexAdd(sid, data);
          }),
        );
      }
      const setupMs = performance.now() - setup;
      // The same population in connect-redis, where the only way to find a user's sessions is all() + filter.
      const pipe = peerClient.pipeline();
      for (let i = 0; i < 10_000; i++) {
        const data = {
          ...sessionData(i < 1000 ? 'heavy-user' : `other-${i}`),
          user: i < 1000 ? 'heavy-user' : `other-${i}`,
        };
        pipe.set(`peer:${randomBytes(24).toString('base64url')}`, JSON.stringify(data), 'EX', 3600);
      }
      await pipe.exec();
      const peerStore = new RedisStore({ client: peerClient, prefix: 'peer:' });
      let listed = 0;
      let scanned = 0;
      const listing = await measure(ctx, {
        ours: async () => {
          listed = (await mw.listUserSessions('heavy-user')).length;
        },
        peer: async () => {
          const all = (await peerStore.all()) as { user?: string }[];
          scanned = all.filter((s) => s.user === 'heavy-user').length;
        },
      });
      const revokeStart = performance.now();
      const revoked = await mw.revokeUserSessions('heavy-user');
      const revokeMs = performance.now() - revokeStart;
      const [lo, lp] = listing;
      const listRows = [
        ['operation', 'rate', 'p50', 'p99', 'result'],
        [
          `@redis-toolkit/session listUserSessions (index, 1 script call)`,
          fmtRate(lo!.opsPerSec),
          `${(lo!.p50Us / 1000).toFixed(2)} ms`,
          `${(lo!.p99Us / 1000).toFixed(2)} ms`,
          `${listed} sessions`,
        ],
        [
          `connect-redis 8.1 all() + filter (SCAN + MGET of 10,000 sessions)`,
          fmtRate(lp!.opsPerSec),
          `${(lp!.p50Us / 1000).toFixed(2)} ms`,
          `${(lp!.p99Us / 1000).toFixed(2)} ms`,
          `${scanned} sessions`,
        ],
      ];
      return [
        `Driven through real HTTP (Express 5 on loopback, node:http keep-alive agent, ${count} requests per measurement, best of two runs in mirrored order, c = requests in flight); each in-flight slot has its own logged-in session. Both stores use their own ioredis client against the same redis-server. "load + touch": express-session loads the session and, since it is unchanged, calls store.touch; "load + save": the route changes the session, so it is written back. Ours also keeps the per-user index current on every request (one extra script call, sent concurrently), and its write is a Lua script that refuses destroyed sessions.`,
        '',
        table(rows),
        '',
        `Listing one user's 1,000 sessions (10,000 sessions in the peer's store; connect-redis has no per-user index, so the peer row is the only way to answer the question with it):`,
        '',
        table(listRows),
        '',
        `Setup: writing 1,000 sessions + index entries through the store took ${setupMs.toFixed(0)} ms; revokeUserSessions of all ${revoked} took ${revokeMs.toFixed(0)} ms.`,
      ].join('\n');
    } finally {
      await Promise.all(Object.values(servers).map((s) => s.close()));
      oursClient.disconnect();
      peerClient.disconnect();
    }
  },
};
