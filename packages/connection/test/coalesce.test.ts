import {
  type FlightCounter,
  type RedisServer,
  startFlightCounter,
  startRedis,
} from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisRuntime } from '../src/index.js';

let counter: FlightCounter;
/** Round trips `fn` makes (writes that reach the server after it last answered). */
async function roundTrips(fn: () => Promise<unknown>): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  const before = counter.flights;
  await fn();
  return counter.flights - before;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
  counter = await startFlightCounter(redis);
});
afterAll(async () => {
  await counter?.close();
  await redis?.stop();
});

it('commands issued in one turn of the event loop leave in one write (16 at most), with every reply its own', async () => {
  const client = new Redis({ port: counter.port, host: '127.0.0.1' });
  await client.ping();
  const runtime = RedisRuntime.for(client, { commandTimeoutMs: 2000 });
  const run = (i: number) => runtime.run('set', () => client.set(`co:${i}`, String(i)));
  expect(await roundTrips(() => Promise.all(Array.from({ length: 16 }, (_, i) => run(i))))).toBe(1);
  // more than a batch: written 16 at a time (Redis starts on one while the next goes out)
  const flights = await roundTrips(() => Promise.all(Array.from({ length: 50 }, (_, i) => run(i))));
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
    await roundTrips(async () => {
      replies = await Promise.all([runtime.run('get', () => client.get('co:3')), afterAwait()]);
    }),
  ).toBe(1);
  expect(replies).toEqual(['3', '7']);
  // one after the other: a write each, nothing held back
  expect(
    await roundTrips(async () => {
      for (let i = 0; i < 5; i++)
        expect(await runtime.run('get', () => client.get(`co:${i}`))).toBe(String(i));
    }),
  ).toBe(5);
  client.disconnect();
});

it('a client that is still connecting sends its handshake and queued commands as ioredis does', async () => {
  const client = new Redis({ port: counter.port, host: '127.0.0.1', lazyConnect: true });
  const runtime = RedisRuntime.for(client, { commandTimeoutMs: 2000 });
  // the first command starts the connection (lazyConnect) and waits in ioredis' offline queue
  expect(await runtime.run('get', () => client.get('co:1'))).toBe('1');
  expect(await runtime.run('get', () => client.get('co:2'))).toBe('2');
  client.disconnect();
});

it('one command at a time goes at once; commands that overlap bring batches back', async () => {
  const client = new Redis({ port: counter.port, host: '127.0.0.1' });
  const runtime = RedisRuntime.for(client, { commandTimeoutMs: 2000 });
  await client.ping();
  const stream = (client as unknown as { stream: { writableCorked: number } }).stream;
  const get = () => runtime.run('get', () => client.get('co:1'));
  const corkedWhile = async (start: () => Promise<unknown>[]): Promise<number> => {
    const calls = start();
    const corked = stream.writableCorked;
    await Promise.all(calls);
    await new Promise((r) => setImmediate(r));
    return corked;
  };
  // the first batch of a connection waits for its turn; it was alone, so the next ones do not
  expect(await corkedWhile(() => [get()])).toBe(1);
  expect(await corkedWhile(() => [get()])).toBe(0);
  expect(await corkedWhile(() => [get()])).toBe(0);
  // two at once: the first leaves, the second (one is unanswered) starts a batch ...
  expect(await corkedWhile(() => [get(), get()])).toBe(1);
  // ... so the next turn's command waits for company again, and found none
  expect(await corkedWhile(() => [get()])).toBe(1);
  expect(await corkedWhile(() => [get()])).toBe(0);
  // sequential round trips stay one per command either way
  expect(
    await roundTrips(async () => {
      for (let i = 0; i < 5; i++) await get();
    }),
  ).toBe(5);
  client.disconnect();
});
