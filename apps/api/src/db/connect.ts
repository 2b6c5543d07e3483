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
  /** PostgreSQL only: create this schema if missing and use it (search_path). */
  schema?: string | undefined;
  seed?: SeedSize | false;
}

/** One schema and one query layer (Kysely) over PGlite or a real PostgreSQL. */
export async function openDatabase({
  databaseUrl,
  schema,
  seed = DEFAULT_SEED,
}: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  const kind = databaseUrl ? 'postgres' : 'pglite';
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  if (databaseUrl && schema) {
    // The schema must exist before pooled connections put it on their search_path.
    const admin = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists ${schema}`);
    } finally {
      await admin.end();
    }
  }
  // UTC sessions: "appointments on 2026-11-23" means the same day on every server.
  const options = `-c TimeZone=UTC${schema ? ` -c search_path=${schema}` : ''}`;
  const dialect = databaseUrl
    ? new PostgresDialect({
        pool: new pg.Pool({
          connectionString: databaseUrl,
          max: 10,
          connectionTimeoutMillis: 5_000,
          options,
        }),
      })
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
        // a query that loses to the deadline may fail later: its rejection is observed (false)
        return await Promise.race([
          sql`select 1`
            .execute(db)
            .then(() => true)
            .catch(() => false),
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
