import { createHash } from 'node:crypto';
import type { RedisClient } from '@redis-toolkit/connection';

/** Deletes the lock only when it still holds our token (a late holder never frees someone else's lock). */
export const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
export const RELEASE_LOCK_SHA = createHash('sha1').update(RELEASE_LOCK).digest('hex');

/** EVALSHA, falling back to EVAL on NOSCRIPT (the script reaches whichever master owns the key). */
export async function evalScript(
  client: RedisClient,
  script: string,
  sha: string,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.includes('NOSCRIPT')) {
      return client.eval(script, keys.length, ...keys, ...args);
    }
    throw error;
  }
}
