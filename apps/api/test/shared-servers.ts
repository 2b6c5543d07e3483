import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { afterAll, beforeAll } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.js';

export interface SharedServers {
  redis: RedisServer;
  database: DatabaseHandle;
}

/**
 * One Redis server and one seeded database for the tests of the calling `describe` (each test
 * starts its own app on them): started before its first test, stopped after its last. Read the
 * fields inside the tests, once `beforeAll` has filled them.
 */
export function sharedServers(
  seed: { patients: number; appointments: number } = { patients: 200, appointments: 1_000 },
): SharedServers {
  const servers = {} as SharedServers;
  beforeAll(async () => {
    servers.redis = await startRedis();
    servers.database = await openDatabase({ seed });
  }, 60_000);
  afterAll(async () => {
    await servers.database?.close();
    await servers.redis?.stop();
  });
  return servers;
}
