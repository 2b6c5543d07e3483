import type { Outbox, OutboxEntry } from '@redis-toolkit/connection';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * The toolkit's `Outbox` on the app's database: revocations the token blacklist accepted while
 * Redis could not take them durably survive this instance, and any instance on the same database
 * replays them (replays are idempotent, so two instances replaying one entry is harmless).
 * `append` resolves only after the insert committed: the caller reports success right after.
 *
 * `kind` scopes it to one owner's entries when several share the table (the blacklist writes
 * `blacklist`, the job queues `job`): a replayer removes every entry it listed, so an unscoped
 * outbox shared by two owners would drop the other's entries unreplayed.
 */
export function databaseOutbox<T = unknown>(
  db: Kysely<Database>,
  { kind }: { kind?: string } = {},
): Outbox<T> {
  return {
    async append(entry: OutboxEntry<T>) {
      await db
        .insertInto('outbox')
        .values({
          id: entry.id,
          kind: entry.kind,
          payload: JSON.stringify(entry.payload),
          created_at: entry.createdAt,
        })
        // The same entry appended twice (a retried call) is one entry.
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },
    async list(limit: number) {
      if (!(limit > 0)) return [];
      const rows = await db
        .selectFrom('outbox')
        .selectAll()
        .$if(kind !== undefined, (q) => q.where('kind', '=', kind as string))
        .orderBy('created_at')
        .orderBy('id')
        .limit(Math.floor(limit))
        .execute();
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        payload: JSON.parse(row.payload) as T,
        // bigint comes back as a string from pg
        createdAt: Number(row.created_at),
      }));
    },
    async remove(ids: readonly string[]) {
      if (ids.length === 0) return;
      await db
        .deleteFrom('outbox')
        .where('id', 'in', [...ids])
        .$if(kind !== undefined, (q) => q.where('kind', '=', kind as string))
        .execute();
    },
    async size() {
      const row = await db
        .selectFrom('outbox')
        .$if(kind !== undefined, (q) => q.where('kind', '=', kind as string))
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
