import { describe, expect, it } from 'vitest';
import { AppConfigError, loadAppEnv } from '../src/env.js';

const long = 'x'.repeat(32);

describe('environment', () => {
  it('defaults: port 3000, dev secrets with a warning, limits from the guides', () => {
    const env = loadAppEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.GLOBAL_RATE_LIMIT).toBe(100);
    expect(env.GLOBAL_RATE_WINDOW).toBe('15m');
    expect(env.API_RATE_LIMIT).toBe(60);
    expect(env.API_RATE_WINDOW).toBe('1m');
    expect(env.RATE_LIMIT_ENABLED).toBe(true);
    expect(env.SESSION_ON_REDIS_ERROR).toBe('memory');
    expect(env.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(env.warnings.join('\n')).toMatch(/JWT_SECRET is not set/);
    expect(env.warnings.join('\n')).toMatch(/SESSION_SECRET is not set/);
  });

  it('production requires both secrets, at least 32 characters, and fails sessions closed', () => {
    expect(() => loadAppEnv({ NODE_ENV: 'production', SESSION_SECRET: long })).toThrow(
      /JWT_SECRET is required/,
    );
    expect(() =>
      loadAppEnv({ NODE_ENV: 'production', JWT_SECRET: long, SESSION_SECRET: 'short' }),
    ).toThrow(/SESSION_SECRET is too short/);
    const env = loadAppEnv({ NODE_ENV: 'production', JWT_SECRET: long, SESSION_SECRET: long });
    expect(env.warnings).toEqual([]);
    expect(env.SESSION_ON_REDIS_ERROR).toBe('fail');
  });

  it('bad values name the variable and never echo a secret', () => {
    expect(() => loadAppEnv({ RATE_LIMIT_ENABLED: 'maybe' })).toThrow(
      /RATE_LIMIT_ENABLED="maybe" is invalid/,
    );
    expect(() => loadAppEnv({ API_RATE_WINDOW: '5 minutes' })).toThrow(/API_RATE_WINDOW/);
    expect(() => loadAppEnv({ DATABASE_URL: 'not a url with secret' })).toThrow(
      /DATABASE_URL=<redacted>/,
    );
    expect(() => loadAppEnv({ DATABASE_SCHEMA: 'Robert; drop' })).toThrow(AppConfigError);
    expect(loadAppEnv({ RATE_LIMIT_ENABLED: 'off' }).RATE_LIMIT_ENABLED).toBe(false);
  });
});
