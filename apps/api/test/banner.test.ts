import { describe, expect, it } from 'vitest';
import { startBanner } from '../src/status/banner.js';

// The banner `pnpm start` prints (scripts/dev-start.mjs); a pure function of the start's env.
const banner = (env: NodeJS.ProcessEnv, throwawayRedis: boolean) =>
  startBanner({
    url: 'http://localhost:3000',
    env: { NODE_ENV: 'development', ...env },
    redisNote: 'note',
    startedMs: 9_876,
    throwawayRedis,
    notes: ['a held log line'],
  });

describe('start banner', () => {
  it('names the URLs, the Redis, the seeded database and the demo users', () => {
    const text = banner({ REDIS_URL: 'redis://127.0.0.1:45678' }, true);
    expect(text).toContain('is up in 9.9 s');
    expect(text).toContain('Status page   http://localhost:3000/\n');
    expect(text).toContain('API docs      http://localhost:3000/docs\n');
    expect(text).toContain('Redis         redis://127.0.0.1:45678/0');
    expect(text).toContain('embedded PGlite in memory, seeded (5000 patients; gone on exit)');
    expect(text).toContain('admin@dental.test');
    expect(text).toContain('carer@care.test');
    expect(text).toContain('    a held log line');
    expect(text).toContain('Ctrl-C stops the app (and its throwaway Redis).');
  });

  it('with SEED=false lists no demo users, and mentions no throwaway Redis it did not start', () => {
    const text = banner({ REDIS_ENABLED: 'false', SEED: 'false' }, false);
    expect(text).toContain('embedded PGlite in memory, empty (SEED=false; gone on exit)');
    expect(text).not.toContain('seeded');
    expect(text).not.toContain('@dental.test');
    expect(text).toContain('Demo users    none (SEED=false)');
    expect(text).toContain('Ctrl-C stops the app. README');
    expect(text).not.toContain('throwaway Redis');
  });
});
