// Part of the api scenario: the Redis commands and round trips one request of a route costs.
// Commands come from MONITOR on the scenario's own throwaway redis-server; round trips from a
// loopback TCP proxy between the app and that server, which counts "flights": bytes the app sends
// after Redis last answered on that connection (commands sent together, or pipelined, are one).

import { startFlightCounter } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

export interface RedisCounter {
  /** Where the app connects (`redis://127.0.0.1:<proxy>`). */
  readonly url: string;
  /** Commands (by name) and flights per request while `fn` runs `requests` requests, less what the same time idle costs. */
  measure(
    requests: number,
    fn: () => Promise<void>,
  ): Promise<{ commands: number; roundTrips: number; names: string[]; inScripts: string[] }>;
  close(): Promise<void>;
}

export async function redisCounter(target: { host: string; port: number }): Promise<RedisCounter> {
  const proxy = await startFlightCounter(target);
  const port = proxy.port;

  const admin = new Redis({ host: target.host, port: target.port, lazyConnect: true });
  await admin.connect();
  const monitor = await admin.monitor();
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    // commands a script runs are listed with source "lua": counted apart from what the app sends
    seen.push(`${source === 'lua' ? 'lua:' : ''}${String(args[0]).toLowerCase()}`);
  });

  const window = async (fn: () => Promise<void>) => {
    // MONITOR lines arrive asynchronously: settle before and after each window
    await new Promise((resolve) => setTimeout(resolve, 150));
    const c0 = seen.length;
    const f0 = proxy.flights;
    const started = performance.now();
    await fn();
    const ms = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 150));
    return { names: seen.slice(c0), flights: proxy.flights - f0, ms };
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    async measure(requests, fn) {
      // Background work of the instance (heartbeats, status sampling) is measured over as long
      // idle and subtracted; three tries, the median of each count.
      const tries: { counts: Map<string, number>; flights: number }[] = [];
      for (let t = 0; t < 3; t++) {
        const busy = await window(fn);
        const idle = await window(() => new Promise((resolve) => setTimeout(resolve, busy.ms)));
        const counts = new Map<string, number>();
        for (const name of busy.names) counts.set(name, (counts.get(name) ?? 0) + 1);
        for (const name of idle.names) counts.set(name, (counts.get(name) ?? 0) - 1);
        tries.push({ counts, flights: busy.flights - idle.flights });
      }
      const all = new Set(tries.flatMap((t) => [...t.counts.keys()]));
      const perName = [...all]
        .map((name) => {
          const each = median(tries.map((t) => (t.counts.get(name) ?? 0) / requests));
          return [name, Math.round(each)] as const;
        })
        .filter(([, each]) => each > 0)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const label = ([name, each]: readonly [string, number]) =>
        each > 1 ? `${name} ×${each}` : name;
      const sent = perName.filter(([name]) => !name.startsWith('lua:'));
      const inScripts = perName
        .filter(([name]) => name.startsWith('lua:'))
        .map(([name, each]) => [name.slice(4), each] as const);
      return {
        commands: sent.reduce((sum, [, each]) => sum + each, 0),
        roundTrips: Math.max(0, median(tries.map((t) => t.flights / requests))),
        names: sent.map(label),
        inScripts: inScripts.map(label),
      };
    },
    async close() {
      monitor.disconnect();
      admin.disconnect();
      await proxy.close();
    },
  };
}
