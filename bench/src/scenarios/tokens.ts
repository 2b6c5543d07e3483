import { createHash, randomBytes } from 'node:crypto';
import { createOneTimeTokens, createRefreshTokens } from '@redis-toolkit/token-blacklist';
import { Redis } from 'ioredis';
import { type BenchContext, fmtRate, ratio, type Scenario, table } from '../context.js';

interface Task {
  name: string;
  /** Untimed: builds what `op` uses up (tokens to consume, keys to GETDEL). */
  prepare?(count: number): Promise<void>;
  op(i: number): Promise<unknown>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

export const scenario: Scenario = {
  id: 'tokens',
  title: 'tokens: one-time issue/consume and refresh issue/rotate vs raw SET / GETDEL',
  async run(ctx: BenchContext): Promise<string> {
    const rounds = ctx.quick ? 2 : 7;
    const perRound = ctx.quick ? 500 : 4000;
    const redis = new Redis(ctx.redis.url);
    const once = createOneTimeTokens({
      redis,
      prefix: 'bench:',
      issueLimit: false,
      purposes: { 'email-verify': { ttl: '24h' }, 'password-reset': { ttl: '1h', single: true } },
    });
    const limited = createOneTimeTokens({
      redis,
      prefix: 'bench-limited:',
      issueLimit: { max: 1_000_000_000, per: '1h' },
      purposes: { 'email-verify': { ttl: '24h' } },
    });
    const refresh = createRefreshTokens({ redis, prefix: 'bench:', ttl: '30d' });
    const record = JSON.stringify({ s: 'user-123456' });
    const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');

    let tokens: string[] = [];
    let rawKeys: string[] = [];
    let current: string[] = [];
    const tasks: Task[] = [
      {
        name: 'raw SET key value PX (one round trip)',
        op: () => redis.set(`raw:{x}:${hash()}`, record, 'PX', 86_400_000),
      },
      { name: 'issue (no limit)', op: (i) => once.issue('email-verify', `user-${i % 1000}`) },
      {
        name: 'issue (with issueLimit)',
        op: (i) => limited.issue('email-verify', `user-${i % 1000}`),
      },
      {
        name: "issue ('single': voids older)",
        op: (i) => once.issue('password-reset', `user-${i % 1000}`),
      },
      {
        name: 'raw GETDEL key',
        async prepare(count) {
          rawKeys = Array.from({ length: count }, () => `raw:{y}:${hash()}`);
          const p = redis.pipeline();
          for (const k of rawKeys) p.set(k, record, 'PX', 86_400_000);
          await p.exec();
        },
        op: (i) => redis.getdel(rawKeys[i] as string),
      },
      {
        name: 'consume',
        async prepare(count) {
          tokens = [];
          for (let i = 0; i < count; i++)
            tokens.push(await once.issue('email-verify', `c-${i % 1000}`));
        },
        op: (i) => once.consume('email-verify', tokens[i] as string),
      },
      { name: 'refresh issue', op: (i) => refresh.issue(`user-${i % 1000}`) },
      {
        name: 'refresh rotate',
        async prepare(count) {
          current = [];
          for (let i = 0; i < Math.min(count, 200); i++)
            current.push((await refresh.issue(`r-${i}`)).token);
        },
        async op(i) {
          const slot = i % current.length;
          current[slot] = (await refresh.rotate(current[slot] as string)).token;
        },
      },
    ];

    // Interleaved rounds: every task runs once per round, in a rotated order, so drift of a
    // loaded machine hits every task alike; the median over rounds is reported.
    const rates = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < tasks.length; k++) {
        const task = tasks[(k + round) % tasks.length] as Task;
        await task.prepare?.(perRound);
        const started = performance.now();
        for (let i = 0; i < perRound; i++) await task.op(i);
        rates.get(task.name)?.push(perRound / ((performance.now() - started) / 1000));
      }
    }
    redis.disconnect();
    const med = (name: string) => median(rates.get(name) ?? []);
    const rawSet = med(tasks[0]?.name ?? '');
    const rawGetdel = med('raw GETDEL key');
    const baselineOf = (name: string) => (/consume|GETDEL|rotate/.test(name) ? rawGetdel : rawSet);
    return [
      `Sequential calls, one at a time, on one ioredis client; ${rounds} interleaved rounds of ${perRound.toLocaleString('en-US')} calls per task, median (min–max) over rounds.`,
      'Each package call is one EVALSHA (a Lua script doing the SET + SADD, or GET + DEL + SREM), plus token generation and SHA-256 in Node;',
      '`refresh issue` is two scripts (subject index, then the family); `refresh rotate` is one script plus a fire-and-forget index TTL refresh.',
      '',
      table([
        [
          'operation',
          'median rate',
          'min–max',
          'vs raw (SET for issue, GETDEL for consume/rotate)',
        ],
        ...tasks.map((t) => {
          const xs = rates.get(t.name) ?? [];
          return [
            t.name,
            fmtRate(med(t.name)),
            `${fmtRate(Math.min(...xs))} – ${fmtRate(Math.max(...xs))}`,
            t.name.startsWith('raw') ? '1.00×' : ratio(med(t.name), baselineOf(t.name)),
          ];
        }),
      ]),
    ].join('\n');
  },
};
