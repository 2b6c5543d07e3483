import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * The database the app instances share: a throwaway schema on the PostgreSQL at
 * 127.0.0.1:5432 when one answers (through `psql`, so the bench needs no pg dependency),
 * otherwise nothing (each instance then opens its own PGlite, seeded identically).
 */
export interface ChaosDatabase {
  /** Extra env for each app instance. */
  readonly env: Record<string, string>;
  /** Printed and recorded with the results. */
  readonly description: string;
  drop(): Promise<void>;
}

const ADMIN_URL = process.env.CHAOS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function psql(sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'psql',
      [ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-Atc', sql],
      { timeout: 10_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr || error.message)) : resolve(stdout),
    );
  });
}

export async function openChaosDatabase(): Promise<ChaosDatabase> {
  try {
    await psql('select 1');
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      env: {},
      description: `PGlite in memory, one per instance (PostgreSQL at ${ADMIN_URL} not reachable: ${why})`,
      drop: async () => {},
    };
  }
  const schema = `chaos_${randomBytes(4).toString('hex')}`;
  return {
    env: { DATABASE_URL: ADMIN_URL, DATABASE_SCHEMA: schema },
    description: `PostgreSQL ${(await psql('show server_version')).trim()} at 127.0.0.1:5432, throwaway schema ${schema} (shared by both instances, dropped afterwards)`,
    // Only the schema this run created.
    drop: async () => {
      await psql(`drop schema if exists ${schema} cascade`);
    },
  };
}
