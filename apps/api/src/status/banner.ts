import { loadRedisConfig } from '@redis-toolkit/connection';
import { loadAppEnv } from '../env.js';
import { describeRedis } from './collector.js';
import { demoAccounts } from './demo.js';

export interface BannerInput {
  url: string;
  env: NodeJS.ProcessEnv;
  /** How the start chose Redis (its own throwaway server, yours, or none). */
  redisNote: string;
  startedMs: number;
  /** Whether `pnpm start` runs its own redis-server (stopped with the app on Ctrl-C). */
  throwawayRedis?: boolean;
  /** Log lines the app printed before it was ready (dev secrets in use…). */
  notes: string[];
}

const redactUrl = (raw: string) => {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable>';
  }
};

/** The one block `pnpm start` prints once the app answers. */
export function startBanner({
  url,
  env,
  redisNote,
  startedMs,
  throwawayRedis = false,
  notes,
}: BannerInput): string {
  const appEnv = loadAppEnv(env);
  const redis = describeRedis(loadRedisConfig(appEnv.redisEnv));
  const database = appEnv.DATABASE_URL
    ? `PostgreSQL ${redactUrl(appEnv.DATABASE_URL)}${appEnv.SEED ? '' : ' (SEED=false: no demo data added)'}`
    : `embedded PGlite in memory, ${appEnv.SEED ? `seeded (${appEnv.SEED_PATIENTS} patients` : 'empty (SEED=false'}; gone on exit) — set DATABASE_URL=postgres://… for yours`;
  const { password, accounts } = demoAccounts();
  const width = Math.max(...accounts.map((a) => a.email.length));
  const line = '─'.repeat(72);
  return [
    line,
    `  redis-toolkit reference API is up in ${(startedMs / 1000).toFixed(1)} s`,
    '',
    `  Status page   ${url}/`,
    `  API docs      ${url}/docs`,
    `  OpenAPI       ${url}/openapi.json      metrics ${url}/metrics`,
    '',
    `  Redis         ${redis}`,
    `                ${redisNote}`,
    `  Database      ${database}`,
    '',
    ...(appEnv.SEED
      ? [
          `  Demo users (password "${password}"):`,
          ...accounts.map((a) => `    ${a.email.padEnd(width)}  ${a.useCase} ${a.role}`),
        ]
      : [
          `  Demo users    ${appEnv.DATABASE_URL ? "none added (SEED=false); an earlier seed's still work" : 'none (SEED=false)'}`,
        ]),
    ...(notes.length ? ['', '  Notes:', ...notes.map((n) => `    ${n}`)] : []),
    '',
    `  Ctrl-C stops the app${throwawayRedis ? ' (and its throwaway Redis)' : ''}. README: apps/api/README.md`,
    line,
    '',
  ].join('\n');
}
