import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { expect, it } from 'vitest';
import { createSessionMiddleware } from '../src/index.js';
import { Browser, SECRET, startApp } from './helpers.js';

// A real Sentinel failover while logins and logouts keep coming. Counted afterwards on the new
// master: every login that answered 200 has its session there, every logout that answered 200
// left none (the tombstone is there instead). Logins and logouts are durable writes (WAIT 1).
describeEachTopology(
  'session across a Sentinel failover under load',
  (ctx) => {
    const variants = [
      { name: 'ioredis defaults', options: {} },
      { name: 'failoverDetector: true', options: { failoverDetector: true } },
    ];
    for (const [v, variant] of variants.entries()) {
      it(`every answered login is on the new master, every answered logout is gone (${variant.name})`, async () => {
        const mw = createSessionMiddleware({
          redis: ctx.client(variant.options),
          secret: SECRET,
          prefix: `f${v}:`,
          production: false,
          commandTimeout: '500ms',
        });
        const { url } = await startApp(mw);
        const loggedIn = new Set<string>();
        const loggedOut = new Set<string>();
        let refused = 0;
        let stop = false;
        const worker = async (w: number) => {
          for (let i = 0; !stop; i++) {
            const b = new Browser(url);
            const login = await b.req('POST', `/login?user=w${w}`);
            if (login.status !== 200 || !b.sid) {
              refused++;
              await new Promise((r) => setTimeout(r, 20));
              continue;
            }
            const sid = b.sid;
            loggedIn.add(sid);
            if (i % 2 === 0) continue; // every other session stays logged in
            const logout = await b.req('POST', '/logout');
            // A logout that answered 503 may or may not have reached Redis: neither count applies.
            loggedIn.delete(sid);
            if (logout.status === 200) loggedOut.add(sid);
            else refused++;
          }
        };
        const sentinel = ctx.sentinel!;
        const oldMaster = await sentinel.master();
        const workers = [0, 1, 2, 3].map((w) => worker(w));
        await waitUntil(() => loggedIn.size + loggedOut.size >= 20, {
          what: 'load running',
          timeoutMs: 30_000,
        });
        const promoted = await sentinel.failover();
        expect(promoted.port).not.toBe(oldMaster.port);
        const newMaster = await sentinel.master();
        // keep going until logins succeed against the new master
        const before = loggedIn.size + loggedOut.size;
        await waitUntil(() => loggedIn.size + loggedOut.size >= before + 20, {
          what: 'logins answered after the failover',
          timeoutMs: 60_000,
        });
        stop = true;
        await Promise.all(workers);
        // Count on the master Sentinel reports now: on this loaded machine Sentinel
        // (down-after 1 s) may have failed over once more on its own.
        const master = await sentinel.master();
        const other = sentinel.servers.find((s) => s.port !== master.port)!;
        if (master.port !== newMaster.port) console.info('a second failover happened meanwhile');

        const lost: string[] = [];
        for (const sid of loggedIn) {
          if ((await master.cli('exists', mw.store.keys.session(sid))) !== '1') {
            lost.push(
              `${sid} (on the other server: ${await other.cli('exists', mw.store.keys.session(sid))})`,
            );
          }
        }
        const resurrected: string[] = [];
        for (const sid of loggedOut) {
          if ((await master.cli('exists', mw.store.keys.session(sid))) !== '0') {
            resurrected.push(sid);
          } else {
            expect(await master.cli('exists', mw.store.keys.tombstone(sid))).toBe('1');
          }
        }
        console.info(
          `[${variant.name}] logged in ${loggedIn.size}, logged out ${loggedOut.size}, refused (503) ${refused}`,
        );
        expect(loggedIn.size).toBeGreaterThan(10);
        expect(loggedOut.size).toBeGreaterThan(10);
        expect({ lost, resurrected }).toEqual({ lost: [], resurrected: [] });
      }, 120_000);
    }
  },
  ['sentinel'],
);
