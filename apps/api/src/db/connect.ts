import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { DEFAULT_SEED, type SeedSize, seedDemoData } from './seed.js';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  /** `pglite` (embedded, in memory) or `postgres` (DATABASE_URL). */
  readonly kind: 'pglite' | 'postgres';
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string | undefined;
  seed?: SeedSize | false;
}

/** One schema and one query layer (Kysely) over PGlite or a real PostgreSQL. */
export async function openDatabase({ databaseUrl, seed = DEFAULT_SEED }: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const kind = databaseUrl ? 'postgres' : 'pglite';
  const dialect = databaseUrl
    ? new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5_000 }) })
    : new PGliteDialect(new PGlite());
  const db = new Kysely<Database>({ dialect });
  await migrateToLatest(db);
  if (seed) await seedDemoData(db, seed);
  let closed = false;
  return {
    db,
    kind,
    async ping(timeoutMs = 1_000) {
      if (closed) return false;
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          sql`select 1`.execute(db).then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
