import type { RedisClient } from '@redis-toolkit/connection';
import type { Cluster } from 'ioredis';
import type { LuaScript } from './lua/script.js';

const isCluster = (client: RedisClient): client is Cluster =>
  (client as { isCluster?: boolean }).isCluster === true;

const isNoScript = (error: unknown): boolean =>
  error instanceof Error && /^NOSCRIPT\b/.test(error.message);

/**
 * Runs Lua scripts by SHA. EVALSHA is routed by its key (on a Cluster: to the master owning the
 * slot); when that node answers NOSCRIPT (restarted, failed over, SCRIPT FLUSH, a new master),
 * the script is sent once with EVAL, which also caches it on that node, so the next EVALSHA works.
 */
export class ScriptRunner {
  constructor(readonly redis: RedisClient) {}

  run(script: LuaScript, key: string, args: (string | number)[]): Promise<unknown> {
    // `call` rather than `evalsha`: same routing by key (also on a Cluster), measurably less overhead.
    return this.redis.call('EVALSHA', script.sha, 1, key, ...args).catch((error: unknown) => {
      if (!isNoScript(error)) throw error;
      return this.redis.eval(script.source, 1, key, ...args);
    });
  }

  /** SCRIPT LOAD on every master (every node of a Cluster, the one server otherwise). */
  async loadEverywhere(scripts: readonly LuaScript[]): Promise<void> {
    const nodes = isCluster(this.redis) ? this.redis.nodes('master') : [this.redis];
    await Promise.all(nodes.flatMap((node) => scripts.map((s) => node.script('LOAD', s.source))));
  }
}
