import { createHash } from 'node:crypto';
import type { RedisClient } from '../types.js';
import { isNoScript } from './classify.js';
import type { RedisRuntime } from './runtime.js';
import { mastersOf } from './scan.js';

/** A Lua script the toolkit runs by SHA. Define once at module level; run through `runScript`. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
  /** How many of the arguments are keys (they get the client's keyPrefix and pick the Cluster slot). */
  readonly numberOfKeys: number;
}

export function defineScript(definition: {
  name: string;
  source: string;
  numberOfKeys: number;
}): LuaScript {
  const sha = createHash('sha1').update(definition.source).digest('hex');
  return Object.freeze({ ...definition, sha });
}

/** EVALSHA with the EVAL fallback on a given client, without the guard: for use inside a guarded call (`durableWrite`). */
export function evalScriptOn(
  client: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  return client
    .call('EVALSHA', script.sha, script.numberOfKeys, ...keys, ...args)
    .catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return client.call('EVAL', script.source, script.numberOfKeys, ...keys, ...args);
    });
}

/**
 * EVALSHA routed by its keys (on a Cluster, to the master owning their slot), under the runtime's
 * guard. When that node answers NOSCRIPT (restarted, failed over, SCRIPT FLUSH, a new master), the
 * script is sent once with EVAL, which also caches it there, so the next EVALSHA works.
 */
export function runScript(
  runtime: RedisRuntime,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
  timeoutMs?: number,
): Promise<unknown> {
  const client = runtime.client;
  // NOSCRIPT is answered inside the same guarded call (`recover`): no `.catch` layer, and so no
  // extra promise hop, on the common path where the script is cached.
  return runtime.run(
    script.name,
    () => client.call('EVALSHA', script.sha, script.numberOfKeys, ...keys, ...args),
    timeoutMs,
    (error) =>
      isNoScript(error)
        ? client.call('EVAL', script.source, script.numberOfKeys, ...keys, ...args)
        : undefined,
  );
}

/** SCRIPT LOAD on every master (optional warm-up; `runScript` recovers from NOSCRIPT by itself). */
export async function loadScripts(
  runtime: RedisRuntime,
  scripts: readonly LuaScript[],
): Promise<void> {
  const nodes = mastersOf(runtime.client);
  await runtime.run('script load', () =>
    Promise.all(nodes.flatMap((node) => scripts.map((s) => node.script('LOAD', s.source)))),
  );
}
