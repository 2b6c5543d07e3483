import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { afterAll, beforeAll } from 'vitest';

/**
 * One standalone Redis server for the calling test file: started before its first test, resumed
 * (in case a test left it paused) and stopped after its last. Call the returned function inside
 * the tests, once `beforeAll` has started the server.
 */
export function redisServerForFile(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    try {
      server?.resume();
    } catch {
      // not paused
    }
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the Redis server is not started yet (read it inside a test)');
    return server;
  };
}

let n = 0;
/** A key prefix no other test of the file uses: `label`, a counter and the time. */
export const uniquePrefix = (label: string): string => `${label}${++n}${Date.now().toString(36)}:`;
