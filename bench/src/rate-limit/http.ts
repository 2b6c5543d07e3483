// Part of the rate-limit scenario: what the middleware costs per request (CPU, in process) and
// the combined two-limit middleware against two separate limiters over real HTTP.
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  combineLimits,
  createLimiter,
  createRateLimiter,
  LimiterStore,
} from '@redis-toolkit/rate-limit';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { type BenchContext, fmtRate, ratio, table, throughput } from '../context.js';

const KEYS = 10_000;
const LIMIT = 1_000_000;
const keyBy = (req: Request) => String(req.headers['x-client'] ?? 'anon');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};

/** Global + API limiters (the reference app's pair), fixed window, keyed by the x-client header. */
function pair(redis: Redis, tag: string) {
  return [
    createRateLimiter({ redis, name: `${tag}-global`, window: '15m', limit: LIMIT, keyBy }),
    createRateLimiter({ redis, name: `${tag}-api`, window: '1m', limit: LIMIT, keyBy }),
  ] as const;
}

/** A request/response pair good enough for the middleware (headers go nowhere). */
function fake(i: number): [Request, Response] {
  const req = {
    ip: '10.0.0.1',
    method: 'GET',
    originalUrl: '/',
    headers: { 'x-client': `u${i % KEYS}` },
    app: { get: () => undefined },
  };
  const res = {
    headersSent: false,
    statusCode: 200,
    setHeader() {
      return res;
    },
    append() {
      return res;
    },
    once() {
      return res;
    },
    on() {
      return res;
    },
  };
  return [req as unknown as Request, res as unknown as Response];
}

const viaMiddleware =
  (...mws: RequestHandler[]) =>
  async (i: number): Promise<void> => {
    const [req, res] = fake(i);
    for (const mw of mws) {
      await new Promise<void>((resolve, reject) => {
        mw(req, res, (error?: unknown) => (error ? reject(error) : resolve()));
      });
    }
  };

/** CPU µs per call (user + system of this process) and rate, c=1, best of interleaved rounds. */
export async function middlewareCost(ctx: BenchContext, redis: Redis): Promise<string> {
  const store = new LimiterStore(
    createLimiter({ redis, name: 'mw-store', window: '15m', limit: LIMIT }),
  );
  const [g1] = pair(redis, 'mw-one');
  const [g2, a2] = pair(redis, 'mw-two');
  const [g3, a3] = pair(redis, 'mw-comb');
  const [g4] = pair(redis, 'mw-comb1');
  const [g5, a5] = pair(redis, 'mw-stack');
  const [g6] = pair(redis, 'mw-stack1');
  // express-rate-limit with every validation off from the start, over the same store
  const unvalidated = rateLimit({
    windowMs: 15 * 60_000,
    limit: LIMIT,
    store: new LimiterStore(
      createLimiter({ redis, name: 'mw-noval', window: '15m', limit: LIMIT }),
    ),
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => keyBy(req),
    validate: false,
  });
  const ops: Record<string, (i: number) => Promise<unknown>> = {
    'store `increment` (the script, no middleware)': (i) => store.increment(`u${i % KEYS}`),
    '`createRateLimiter` (express-rate-limit + store), 1 limit': viaMiddleware(g1),
    'express-rate-limit + store with `validate: false`, 1 limit': viaMiddleware(unvalidated),
    '`combineLimits([global])`, 1 limit': viaMiddleware(combineLimits([g4])),
    'two `createRateLimiter` in sequence (global + api)': viaMiddleware(g2, a2),
    '`combineLimits([global, api])` (all-or-nothing)': viaMiddleware(combineLimits([g3, a3])),
    "`combineLimits([global], { counting: 'stacked' })`, 1 limit": viaMiddleware(
      combineLimits([g6], { counting: 'stacked' }),
    ),
    "`combineLimits([global, api], { counting: 'stacked' })`": viaMiddleware(
      combineLimits([g5, a5], { counting: 'stacked' }),
    ),
  };
  const names = Object.keys(ops);
  const count = ctx.quick ? 1_000 : 10_000;
  const cpu = new Map<string, number[]>();
  const rate = new Map<string, number[]>();
  for (const name of names) await throughput(1_000, 1, ops[name]!);
  let n = 0;
  for (let r = 0; r < (ctx.quick ? 2 : 5); r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      const base = n;
      n += count;
      const before = process.cpuUsage();
      const perSec = await throughput(count, 1, (i) => ops[name]!(base + i));
      const used = process.cpuUsage(before);
      cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / count]);
      rate.set(name, [...(rate.get(name) ?? []), perSec]);
    }
  }
  const base = median(cpu.get(names[0]!) ?? []);
  const rows: (string | number)[][] = [
    [
      'per request (c=1, one key of 10,000 per call)',
      'CPU µs / request',
      'over the script',
      'rate',
    ],
    ...names.map((name) => {
      const c = median(cpu.get(name) ?? []);
      return [
        name,
        c.toFixed(1),
        `${(c - base).toFixed(1)} µs`,
        fmtRate(median(rate.get(name) ?? [])),
      ];
    }),
  ];
  return [
    'CPU of this process per request (ioredis and the adapter; the Redis server runs elsewhere),',
    `sequential calls with a fake request/response (no HTTP), ${count.toLocaleString('en')} per block,`,
    'rounds interleaved, median of the rounds. express-rate-limit 8 runs each of its validations once',
    'per limiter (the first request), so what remains per request is its own bookkeeping.',
    "`'stacked'` counts as the separate middlewares do (the app's global + API pair).",
    '',
    table(rows),
  ].join('\n');
}

function hit(agent: Agent, port: number, client: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent, headers: { 'x-client': client } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Two limiters on one route over HTTP: separately (two round trips) vs combined (one). */
export async function combinedOverHttp(ctx: BenchContext, redis: Redis): Promise<string> {
  const [g1, a1] = pair(redis, 'http-sep');
  const [g2, a2] = pair(redis, 'http-comb');
  const [g3, a3] = pair(redis, 'http-stack');
  const apps: Record<string, RequestHandler[]> = {
    'no limiter (floor)': [],
    'two `createRateLimiter` (global, then api)': [g1, a1],
    '`combineLimits([global, api])` (all-or-nothing)': [combineLimits([g2, a2])],
    "`combineLimits([global, api], { counting: 'stacked' })`": [
      combineLimits([g3, a3], { counting: 'stacked' }),
    ],
  };
  const servers = await Promise.all(
    Object.entries(apps).map(async ([name, mws]) => {
      const app = express();
      for (const mw of mws) app.use(mw);
      app.get('/', (_req, res) => {
        res.send('ok');
      });
      const server = app.listen(0, '127.0.0.1');
      // idle keep-alive sockets wait while the other contenders run: never let the server drop them
      server.keepAliveTimeout = 120_000;
      await new Promise<void>((r) => server.once('listening', () => r()));
      return { name, server, port: (server.address() as AddressInfo).port };
    }),
  );
  try {
    const names = servers.map((s) => s.name);
    const cells = [1, 50];
    const count = ctx.quick ? 300 : 4_000;
    const rates = new Map<string, number[]>();
    const cpus = new Map<string, number[]>();
    for (const c of cells) {
      const agent = new Agent({ keepAlive: true, maxSockets: c });
      for (const s of servers) await throughput(300, c, (i) => hit(agent, s.port, `u${i % KEYS}`));
      for (let r = 0; r < (ctx.quick ? 2 : 5); r++) {
        const order = servers.map((_, i) => servers[(i + r) % servers.length]!);
        for (const s of order) {
          const before = process.cpuUsage();
          const perSec = await throughput(count, c, (i) =>
            hit(agent, s.port, `u${(r * count + i) % KEYS}`),
          );
          const used = process.cpuUsage(before);
          const id = `${s.name}@${c}`;
          rates.set(id, [...(rates.get(id) ?? []), perSec]);
          cpus.set(id, [...(cpus.get(id) ?? []), (used.user + used.system) / count]);
        }
      }
      agent.destroy();
    }
    const sep = 'two `createRateLimiter` (global, then api)';
    const rows: (string | number)[][] = [
      [
        'route',
        ...cells.map((c) => `c=${c}`),
        'vs two limiters (c=1 / c=50)',
        'CPU µs / request (c=50, server + client)',
      ],
      ...names.map((name) => [
        name,
        ...cells.map((c) => fmtRate(median(rates.get(`${name}@${c}`) ?? []))),
        cells
          .map((c) =>
            ratio(median(rates.get(`${name}@${c}`) ?? []), median(rates.get(`${sep}@${c}`) ?? [])),
          )
          .join(' / '),
        median(cpus.get(`${name}@50`) ?? []).toFixed(0),
      ]),
    ];
    return [
      'Express 5 on loopback, node:http keep-alive agent in the same process, c = requests in',
      `flight; ${count.toLocaleString('en')} requests per block, contenders in rotating order per round, median of the`,
      'rounds. Both limited routes run the same two fixed-window limits (15 min and 1 min, keyed',
      'by a header over 10,000 clients, never refused); "separately" is two EVALSHA round trips',
      'in sequence, "combined" one. CPU includes the HTTP client, the same for every row.',
      '',
      table(rows),
    ].join('\n');
  } finally {
    for (const s of servers) {
      s.server.closeAllConnections();
      s.server.close();
    }
  }
}
