import type { RedisServer, SentinelHandle } from '@redis-toolkit/testing';
import type { Recorder } from './http.js';
import type { AppInstance } from './instance.js';
import type { CareSession, Ledger, Target, TokenPair } from './load.js';
import { malformedBurst } from './malformed.js';

export interface FaultContext {
  rec: Recorder;
  ledger: Ledger;
  /** Set for standalone faults. */
  redis: RedisServer | undefined;
  /** Set for the Sentinel fault. */
  sentinel: SentinelHandle | undefined;
  a: AppInstance;
  b: AppInstance;
  /** Replaces what the load hits (e.g. B only once A is dead). */
  setTargets(targets: Target[]): void;
  /** The fault's budget (the load runs this long from the fault's start). */
  durationMs: number;
  /** Lines for the report (what happened, and anything that did not go as planned). */
  notes: string[];
}

export interface FaultWindow {
  /** ms on the recorder's clock. */
  start: number;
  end: number;
  /** The fault left Redis down for this window (pause/kill), for the hang latency figure. */
  hang?: boolean;
  /** A was killed: verify on B and a fresh A. */
  replacedA?: boolean;
  /**
   * Logouts A acknowledged during the outage, before its SIGKILL (instance death): each must be
   * enforced by B (and a fresh A) after Redis returns, replayed from the database outbox.
   */
  outageRevocations?: object[];
  malformed?: { sent: number; fiveXx: number; examples: string[] };
}

export interface Fault {
  readonly id: string;
  readonly title: string;
  readonly topology: 'standalone' | 'sentinel';
  inject(ctx: FaultContext): Promise<FaultWindow>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`fault needs ${what}`);
  return value;
};

export const FAULTS: Fault[] = [
  {
    id: 'kill',
    title: 'Redis SIGKILL, restart',
    topology: 'standalone',
    async inject(ctx) {
      const redis = need(ctx.redis, 'a standalone Redis');
      const start = ctx.rec.now();
      await redis.kill();
      await sleep(Math.min(8_000, ctx.durationMs * 0.4));
      await redis.restart();
      return { start, end: ctx.rec.now() };
    },
  },
  {
    id: 'pause',
    title: 'Redis SIGSTOP, SIGCONT',
    topology: 'standalone',
    async inject(ctx) {
      const redis = need(ctx.redis, 'a standalone Redis');
      const start = ctx.rec.now();
      redis.pause();
      await sleep(Math.min(12_000, ctx.durationMs * 0.6));
      const end = ctx.rec.now();
      redis.resume();
      return { start, end, hang: true };
    },
  },
  {
    id: 'failover',
    title: 'Sentinel failover under load',
    topology: 'sentinel',
    async inject(ctx) {
      const sentinel = need(ctx.sentinel, 'a Sentinel set');
      const start = ctx.rec.now();
      const promoted = await sentinel.failover();
      ctx.notes.push(
        `promoted ${promoted.host}:${promoted.port} in ${((ctx.rec.now() - start) / 1000).toFixed(1)} s`,
      );
      return { start, end: ctx.rec.now() };
    },
  },
  {
    id: 'instance-death',
    title: 'Instance A SIGKILLed during a Redis outage after acknowledging logouts',
    topology: 'standalone',
    async inject(ctx) {
      const redis = need(ctx.redis, 'a standalone Redis');
      // Some logouts acknowledged by A before the outage too, so the check is never vacuous
      // when the app (rightly) refuses logouts while Redis is down.
      const before = ctx.rec.now() + 10_000;
      const viaA = () =>
        ctx.ledger.loggedOutTokens.filter((p) => p.via === 'A').length +
        ctx.ledger.loggedOutCare.filter((s) => s.via === 'A').length;
      while (ctx.rec.now() < before && viaA() < 3) await sleep(100);
      const start = ctx.rec.now();
      await redis.kill();
      // The load logs out spare pairs whenever a login is refused with 503 (no credentials are
      // issued while Redis is down), so A acknowledges logouts into its outbox during the outage.
      const ackedOnA = (): (TokenPair | CareSession)[] => [
        ...ctx.ledger.loggedOutTokens.filter((p) => p.via === 'A' && p.at > start),
        ...ctx.ledger.loggedOutCare.filter((s) => s.via === 'A' && s.at > start),
      ];
      const deadline = start + ctx.durationMs * 0.4;
      while (ctx.rec.now() < deadline && ackedOnA().length < 5) await sleep(100);
      ctx.setTargets([ctx.b]);
      // anything A acknowledges until it dies counts (a request in flight may still be answered)
      await ctx.a.kill('SIGKILL');
      const acked = ackedOnA();
      ctx.notes.push(
        `A acknowledged ${viaA() - acked.length} logout(s) before the outage and ${acked.length} during it (${acked.filter((p) => 'duringOutage' in p && p.duringOutage).length} after a login refused with 503; ${ctx.ledger.refusedLogins} school logins refused with 503 by then, ${ctx.ledger.noSpare} of them with no spare pair left to log out), before its SIGKILL at ${((ctx.rec.now() - start) / 1000).toFixed(1)} s`,
      );
      await sleep(1_000);
      await redis.restart();
      return { start, end: ctx.rec.now(), replacedA: true, outageRevocations: acked };
    },
  },
  {
    id: 'malformed',
    title: 'Malformed-input burst (hostile JSON, NUL, lone surrogates, huge strings)',
    topology: 'standalone',
    async inject(ctx) {
      const start = ctx.rec.now();
      const malformed = await malformedBurst(ctx.rec, [ctx.a, ctx.b], {
        rounds: ctx.durationMs >= 10_000 ? 3 : 1,
        concurrency: 10,
      });
      return { start, end: ctx.rec.now(), malformed };
    },
  },
];
