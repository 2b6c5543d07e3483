import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisRuntime } from '../src/index.js';

/**
 * A loopback proxy that counts the client's flights: writes that reach the server after it last
 * answered (commands sent together are one).
 */
async function flightCounter(target: RedisServer) {
  let flights = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let answered = true;
    client.on('data', (chunk) => {
      if (answered) flights++;
      answered = false;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      answered = true;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    count: async (fn: () => Promise<unknown>) => {
      await new Promise((r) => setTimeout(r, 20));
      const before = flights;
      await fn();
      return flights - before;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let redis: RedisServer;
let proxy: Awaited<ReturnType<typeof flightCounter>>;
beforeAll(async () => {
  redis = await startRedis();
  proxy = await flightCounter(redis);
});
afterAll(async () => {
  await proxy?.close();
  await redis?.stop();
});

it('commands issued in one turn of the event loop leave in one write (16 at most), with every reply its own', async () => {
  const client = new Redis({ port: proxy.port, host: '127.0.0.1' });
  await client.ping();
  const runtime = RedisRuntime.for(client, { commandTimeoutMs: 2000 });
  const run = (i: number) => runtime.run('set', () => client.set(`co:${i}`, String(i)));
  expect(await proxy.count(() => Promise.all(Array.from({ length: 16 }, (_, i) => run(i))))).toBe(
    1,
  );
  // more than a batch: written 16 at a time (Redis starts on one while the next goes out)
  const flights = await proxy.count(() =>
    Promise.all(Array.from({ length: 50 }, (_, i) => run(i))),
  );
  expect(flights).toBeGreaterThanOrEqual(1);
  expect(flights).toBeLessThanOrEqual(4);
  // a command sent after an await, still in the same turn, joins the same write
  const afterAwait = async () => {
    await Promise.resolve();
    await Promise.resolve();
    return runtime.run('get', () => client.get('co:7'));
  };
  let replies: unknown[] = [];
  expect(
    await proxy.count(async () => {
      replies = await Promise.all([runtime.run('get', () => client.get('co:3')), afterAwait()]);
    }),
  ).toBe(1);
  expect(replies).toEqual(['3', '7']);
  // one after the other: a write each, nothing held back
  expect(
    await proxy.count(async () => {
      for (let i = 0; i < 5; i++)
        expect(await runtime.run('get', () => client.get(`co:${i}`))).toBe(String(i));
    }),
  ).toBe(5);
  client.disconnect();
});

it('a client that is still connecting sends its handshake and queued commands as ioredis does', async () => {
  const client = new Redis({ port: proxy.port, host: '127.0.0.1', lazyConnect: true });
  const runtime = RedisRuntime.for(client, { commandTimeoutMs: 2000 });
  // the first command starts the connection (lazyConnect) and waits in ioredis' offline queue
  expect(await runtime.run('get', () => client.get('co:1'))).toBe('1');
  expect(await runtime.run('get', () => client.get('co:2'))).toBe('2');
  client.disconnect();
});
