import { scanKeys } from '@redis-toolkit/connection';
import type { SessionData } from 'express-session';
import { decodeSession, isWrongType } from '../codec/codec.js';
import type { StoreContext } from './context.js';

const CHUNK = 200;

/** `ids`/`length`/`all`/`clear`: SCAN on every master (keyPrefix-aware), or the memory tier alone. */
export class Listing {
  constructor(private readonly ctx: StoreContext) {}

  async ids(): Promise<string[]> {
    const { runtime, keys, memory } = this.ctx;
    const ids = new Set<string>(memory?.ids() ?? []);
    if (!runtime) return [...ids];
    for await (const page of scanKeys(runtime, keys.sessionPattern())) {
      for (const key of page) {
        const sid = keys.sidOf(key);
        if (sid) ids.add(sid);
      }
    }
    return [...ids];
  }

  async all(): Promise<(SessionData & { id: string })[]> {
    const { runtime, keys, memory, opts } = this.ctx;
    const ids = await this.ids();
    const out: (SessionData & { id: string })[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const values = await Promise.all(
        chunk.map(async (sid) => {
          const local = memory?.get(sid);
          if (local !== undefined || !runtime) return local ?? null;
          return runtime
            .run('all', () => runtime.client.get(keys.session(sid)), opts.commandTimeoutMs)
            .catch((error: unknown) => {
              if (isWrongType(error)) return null;
              throw error;
            });
        }),
      );
      values.forEach((raw, j) => {
        const sid = chunk[j];
        if (raw === null || sid === undefined) return;
        const session = decodeSession(raw);
        if (session) out.push(Object.assign(session, { id: sid }));
      });
    }
    return out;
  }

  /** UNLINKs everything under the namespace on every master (never FLUSHDB). */
  async clear(): Promise<void> {
    const { runtime, keys, memory, opts } = this.ctx;
    memory?.clear();
    if (!runtime) return;
    for await (const page of scanKeys(runtime, keys.namespacePattern())) {
      for (let i = 0; i < page.length; i += CHUNK) {
        await Promise.all(
          page
            .slice(i, i + CHUNK)
            .map((key) =>
              runtime.run('clear', () => runtime.client.unlink(key), opts.commandTimeoutMs),
            ),
        );
      }
    }
  }
}
