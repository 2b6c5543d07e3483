import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileOutbox } from '@redis-toolkit/connection';
import { captureLogger, describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import type { RedisOptions } from 'ioredis';
import { afterAll, afterEach, expect, it } from 'vitest';
import { createTokenBlacklist, type TokenBlacklist } from '../src/index.js';
import { signToken } from './helpers.js';

// A Sentinel failover under a steady stream of revocations. Counting, not sampling: every revoke
// that answered success must afterwards be revoked on the NEW master (written there, or appended
// to the outbox and replayed there).

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeEachTopology(
  'token-blacklist across a Sentinel failover under load',
  (ctx) => {
    const open: TokenBlacklist[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    // The kill variant runs last: it leaves the old master dead.
    const variants: { name: string; options: RedisOptions; fault: 'failover' | 'kill' }[] = [
      { name: 'SENTINEL FAILOVER, ioredis defaults', options: {}, fault: 'failover' },
      {
        name: 'SENTINEL FAILOVER, failoverDetector: true',
        options: { failoverDetector: true },
        fault: 'failover',
      },
      {
        name: 'master SIGKILLed, failoverDetector: true',
        options: { failoverDetector: true },
        fault: 'kill',
      },
    ];
    for (const variant of variants) {
      it(`every revocation that answered success is on the new master (${variant.name})`, async () => {
        const directory = mkdtempSync(join(tmpdir(), 'blacklist-failover-'));
        dirs.push(directory);
        const outbox = createFileOutbox({ directory });
        const prefix = `f${randomUUID().slice(0, 6)}:`;
        // the writer's own log (its replay failures are debug lines): printed if the drain stalls
        const log = captureLogger('debug');
        const make = (withOutbox: boolean) => {
          const b = createTokenBlacklist({
            redis: ctx.client({ ...variant.options, maxRetriesPerRequest: 1 }),
            prefix,
            commandTimeout: '300ms',
            replayInterval: '500ms',
            ...(withOutbox ? { outbox, logger: log } : {}),
          });
          open.push(b);
          return b;
        };
        const writer = make(true);
        const mirror = createTokenBlacklist({
          redis: ctx.client(variant.options),
          prefix,
          mirror: { heartbeat: '200ms' },
        });
        open.push(mirror);
        expect(await mirror.ready('15s')).toBe(true);

        const accepted: { token: string; persisted: boolean }[] = [];
        let refused = 0;
        let stop = false;
        const worker = async () => {
          while (!stop) {
            const token = await signToken();
            try {
              const r = await writer.revoke(token);
              if (r.revoked) accepted.push({ token, persisted: r.persisted });
            } catch {
              refused++;
            }
          }
        };
        const workers = [worker(), worker(), worker(), worker()];
        await waitUntil(() => accepted.length >= 50, { timeoutMs: 20_000, what: 'load running' });
        const sentinel = ctx.sentinel as NonNullable<typeof ctx.sentinel>;
        let promoted: { host: string; port: number };
        if (variant.fault === 'failover') promoted = await sentinel.failover();
        else {
          const old = await sentinel.masterAddress();
          await (await sentinel.master()).kill();
          promoted = old;
          await waitUntil(
            async () => {
              promoted = await sentinel.masterAddress();
              return promoted.port !== old.port;
            },
            { timeoutMs: 30_000, intervalMs: 200, what: 'sentinel to promote the replica' },
          );
        }
        // keep revoking until writes are durable on the new master again. After a kill the new
        // master has no replica: 'auto' durability stops waiting for one only after the
        // connection's `replicaGoneAfter` (10 s), and a short ack sends the durable connection back to the sentinels
        // (an outage for a moment), so there the load runs 10 s past the promotion and the
        // outbox drain below is what waits for durability to return.
        const before = accepted.length;
        if (variant.fault === 'failover') {
          await waitUntil(() => accepted.slice(before).filter((a) => a.persisted).length >= 50, {
            timeoutMs: 60_000,
            intervalMs: 200,
            what: 'durable writes after the failover',
          });
        } else {
          const until = Date.now() + 10_000;
          await waitUntil(() => Date.now() >= until && accepted.length > before, {
            timeoutMs: 30_000,
            what: 'load past the promotion',
          });
        }
        stop = true;
        await Promise.all(workers);
        expect((await sentinel.masterAddress()).port).toBe(promoted.port);

        await waitUntil(async () => (await outbox.size()) === 0, {
          timeoutMs: 120_000,
          what: 'outbox drained into the new master',
        }).catch(async (error: unknown) => {
          // CI failed here once (kill variant, after the two failover variants): say why next time
          const last = log.entries
            .slice(-8)
            .map((e) => `${e.level} ${e.msg} ${JSON.stringify(e.fields)}`);
          console.error(
            `[${variant.name}] outbox not drained: ${await outbox.size()} left; writer ${JSON.stringify(writer.stats())}; last log lines:\n${last.join('\n')}`,
          );
          throw error;
        });
        const fresh = make(false);
        const missing: string[] = [];
        for (const { token } of accepted) {
          const r = await fresh.check(token);
          if (!(r.revoked && r.source === 'redis')) missing.push(token);
        }
        const outboxed = accepted.filter((a) => !a.persisted).length;
        console.info(
          `[${variant.name}] accepted ${accepted.length} (${outboxed} via outbox), refused ${refused}, missing ${missing.length}`,
        );
        expect(missing).toEqual([]);
        expect(refused).toBe(0);
        // the mirror is in sync again and has learned revocations made after the failover
        await waitUntil(() => mirror.inSync, { timeoutMs: 30_000, what: 'mirror in sync' });
        const last = accepted[accepted.length - 1] as { token: string };
        await waitUntil(async () => (await mirror.check(last.token)).revoked, {
          timeoutMs: 20_000,
          what: 'mirror learns the post-failover revocations',
        });
      }, 240_000);
    }
  },
  ['sentinel'],
);
