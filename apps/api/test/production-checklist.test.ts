import { loadRedisConfig } from '@redis-toolkit/connection';
import { describe, expect, it } from 'vitest';
import { AppConfigError, loadAppEnv } from '../src/env.js';
import { startServer } from '../src/index.js';
import { assertProductionRedis } from '../src/security/production-checklist.js';

const long = 'x'.repeat(32);
const KEY = Buffer.alloc(32, 9).toString('base64');
const OK = {
  NODE_ENV: 'production',
  JWT_SECRET: long,
  SESSION_SECRET: long,
  TRUST_PROXY: '1',
  CACHE_ENCRYPTION_KEYS: `2026-12:${KEY}`,
};
const without = (name: keyof typeof OK) =>
  Object.fromEntries(Object.entries(OK).filter(([k]) => k !== name));

describe('production checklist at start', () => {
  it('a complete production environment loads without warnings', () => {
    const env = loadAppEnv(OK);
    expect(env.warnings).toEqual([]);
    expect(env.TRUST_PROXY).toBe(1);
    expect(env.CACHE_ENCRYPTION_KEYS.map((k) => k.id)).toEqual(['2026-12']);
  });

  it('development secrets are refused (already), each naming the setting', () => {
    expect(() => loadAppEnv(without('JWT_SECRET'))).toThrow(/JWT_SECRET is required/);
    expect(() => loadAppEnv(without('SESSION_SECRET'))).toThrow(/SESSION_SECRET is required/);
    // the built-in development values, set explicitly (copied from a dev .env), are refused too
    const devJwt = 'dev-only-jwt-secret-change-me-in-production!';
    const devSession = 'dev-only-session-secret-change-me-in-production!';
    expect(loadAppEnv({}).JWT_SECRET).toBe(devJwt);
    expect(loadAppEnv({}).SESSION_SECRET).toBe(devSession);
    expect(() => loadAppEnv({ ...OK, JWT_SECRET: devJwt })).toThrow(
      /JWT_SECRET is the built-in development secret/,
    );
    expect(() => loadAppEnv({ ...OK, SESSION_SECRET: devSession })).toThrow(
      /SESSION_SECRET is the built-in development secret/,
    );
    expect(() => loadAppEnv({ ...OK, SESSION_SECRET: devJwt })).toThrow(/SESSION_SECRET is the/);
  });

  it('TRUST_PROXY unset is refused, saying what to set', () => {
    expect(() => loadAppEnv(without('TRUST_PROXY'))).toThrow(AppConfigError);
    expect(() => loadAppEnv(without('TRUST_PROXY'))).toThrow(
      /TRUST_PROXY is required when NODE_ENV=production: set TRUST_PROXY=0 .*TRUST_PROXY=1 behind one load balancer/,
    );
    expect(loadAppEnv({ ...OK, TRUST_PROXY: '0' }).TRUST_PROXY).toBe(0);
    // outside production: 0, no error
    expect(loadAppEnv({}).TRUST_PROXY).toBe(0);
  });

  it('CACHE_ENCRYPTION_KEYS: required in production, validated, never echoed; a dev key otherwise', () => {
    expect(() => loadAppEnv(without('CACHE_ENCRYPTION_KEYS'))).toThrow(
      /CACHE_ENCRYPTION_KEYS is required when NODE_ENV=production/,
    );
    const short = Buffer.alloc(16).toString('base64');
    expect(() => loadAppEnv({ ...OK, CACHE_ENCRYPTION_KEYS: `k1:${short}` })).toThrow(
      /CACHE_ENCRYPTION_KEYS entry 1 \("k1"\): expected 32 bytes/,
    );
    let message = '';
    try {
      loadAppEnv({ ...OK, CACHE_ENCRYPTION_KEYS: `k1:${short}` });
    } catch (error) {
      message = String(error);
    }
    expect(message).not.toContain(short);
    expect(() => loadAppEnv({ ...OK, CACHE_ENCRYPTION_KEYS: `k1:${KEY},k1:${KEY}` })).toThrow(
      /duplicate key id "k1"/,
    );
    expect(() => loadAppEnv({ ...OK, CACHE_ENCRYPTION_KEYS: KEY })).toThrow(
      /expected <id>:<base64 key>/,
    );
    // rotation: the new key first, the previous one still opens old values
    const rotated = loadAppEnv({ ...OK, CACHE_ENCRYPTION_KEYS: `new:${KEY}, old:${KEY}` });
    expect(rotated.CACHE_ENCRYPTION_KEYS.map((k) => k.id)).toEqual(['new', 'old']);
    const dev = loadAppEnv({});
    expect(dev.CACHE_ENCRYPTION_KEYS).toHaveLength(1);
    expect(dev.CACHE_ENCRYPTION_KEYS[0]!.key).toHaveLength(32);
    expect(dev.warnings.join('\n')).toMatch(/CACHE_ENCRYPTION_KEYS is not set/);
    // two instances with the same (development) secret share the key
    expect(loadAppEnv({}).CACHE_ENCRYPTION_KEYS[0]!.key).toEqual(dev.CACHE_ENCRYPTION_KEYS[0]!.key);
  });

  it('CORS * with credentials: refused in production, a warning in development', () => {
    expect(() => loadAppEnv({ ...OK, CORS_ORIGINS: '*' })).toThrow(
      /CORS_ORIGINS=\* with CORS_CREDENTIALS=true/,
    );
    expect(loadAppEnv({ ...OK, CORS_ORIGINS: '*', CORS_CREDENTIALS: 'false' }).CORS_ORIGINS).toBe(
      '*',
    );
    expect(loadAppEnv({ CORS_ORIGINS: '*' }).warnings.join('\n')).toMatch(
      /CORS_ORIGINS=\* with CORS_CREDENTIALS=true/,
    );
    expect(
      loadAppEnv({ ...OK, CORS_ORIGINS: 'https://app.example.com,https://x.example.com' })
        .CORS_ORIGINS,
    ).toEqual(['https://app.example.com', 'https://x.example.com']);
    expect(() => loadAppEnv({ CORS_ORIGINS: 'https://app.example.com/' })).toThrow(
      /CORS_ORIGINS entry 1 .* is not an origin/,
    );
  });

  it('plain redis:// to a non-loopback host is refused in production; TLS or loopback pass', () => {
    const check =
      (env: Record<string, string>, production = true) =>
      () =>
        assertProductionRedis(production, loadRedisConfig(env));
    expect(check({ REDIS_URL: 'redis://cache.internal:6379' })).toThrow(
      /Redis at cache\.internal without TLS is refused when NODE_ENV=production: use a rediss:\/\/ URL or set REDIS_TLS=true/,
    );
    expect(check({ REDIS_HOST: '10.0.0.5' })).toThrow(/REDIS_TLS=true/);
    expect(check({ REDIS_CLUSTER_NODES: 'a.internal:7000,127.0.0.1:7001' })).toThrow(
      /Redis at a\.internal without TLS/,
    );
    expect(check({ REDIS_URL: 'rediss://cache.internal:6380' })).not.toThrow();
    expect(check({ REDIS_URL: 'redis://cache.internal:6379', REDIS_TLS: 'true' })).not.toThrow();
    expect(check({ REDIS_URL: 'redis://127.0.0.1:6390' })).not.toThrow();
    expect(check({ REDIS_URL: 'redis://localhost:6390' })).not.toThrow();
    expect(check({ REDIS_URL: 'redis://cache.internal:6379' }, false)).not.toThrow();
  });

  it('startServer refuses a production start on plain remote Redis before opening anything', async () => {
    await expect(
      startServer({ ...OK, REDIS_URL: 'redis://cache.internal:6379', LOG_LEVEL: 'silent' }),
    ).rejects.toThrow(/REDIS_TLS=true/);
    await expect(startServer({ ...without('TRUST_PROXY'), LOG_LEVEL: 'silent' })).rejects.toThrow(
      /TRUST_PROXY is required/,
    );
  });
});
