import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defineRedisConfig,
  errors,
  loadRedisConfig,
  type RedisConfig,
  RedisConfigError,
} from '../src/index.js';

const SECRET = 'Sup3r-Secret-pw';
const dir = mkdtempSync(join(tmpdir(), 'redis-toolkit-config-'));
const pemFile = join(dir, 'ca.pem');
writeFileSync(pemFile, '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');

interface BadCase {
  env: Record<string, string>;
  variable: string;
  /** The value the error shows (secrets masked); undefined when the variable is missing. */
  value: string | undefined;
  expected: RegExp;
}

// Every case also sets REDIS_PASSWORD, so each one proves the password never reaches a message.
const bad: BadCase[] = [
  {
    env: { REDIS_PORT: 'abc' },
    variable: 'REDIS_PORT',
    value: 'abc',
    expected: /an integer port 1-65535/,
  },
  {
    env: { REDIS_PORT: '70000' },
    variable: 'REDIS_PORT',
    value: '70000',
    expected: /an integer port 1-65535/,
  },
  {
    env: { REDIS_PORT: '0' },
    variable: 'REDIS_PORT',
    value: '0',
    expected: /an integer port 1-65535/,
  },
  {
    env: { REDIS_ENABLED: 'maybe' },
    variable: 'REDIS_ENABLED',
    value: 'maybe',
    expected: /one of true, false, 1, 0, yes, no, on, off/,
  },
  {
    env: { REDIS_URL: 'http://example.com' },
    variable: 'REDIS_URL',
    value: 'http://example.com',
    expected: /redis\[s\]:\/\//,
  },
  {
    env: { REDIS_URL: `redis://app:${SECRET}@host:notaport` },
    variable: 'REDIS_URL',
    value: 'redis://app:***@host:notaport',
    expected: /redis\[s\]:\/\//,
  },
  {
    env: { REDIS_URL: `redis://:${SECRET}@host/abc` },
    variable: 'REDIS_URL',
    value: 'redis://:***@host/abc',
    expected: /db must be a non-negative integer/,
  },
  {
    env: { REDIS_URL: `rediss://:${SECRET}@host?tls=1` },
    variable: 'REDIS_URL',
    value: 'rediss://:***@host?tls=1',
    expected: /no query string/,
  },
  {
    env: { REDIS_DB: '-1' },
    variable: 'REDIS_DB',
    value: '-1',
    expected: /non-negative integer database index/,
  },
  {
    env: { REDIS_DB: 'one' },
    variable: 'REDIS_DB',
    value: 'one',
    expected: /non-negative integer database index/,
  },
  {
    env: { REDIS_HOST: 'bad host' },
    variable: 'REDIS_HOST',
    value: 'bad host',
    expected: /host name or IP address/,
  },
  {
    env: { REDIS_KEY_PREFIX: 'app:*' },
    variable: 'REDIS_KEY_PREFIX',
    value: 'app:*',
    expected: /without glob characters/,
  },
  {
    env: { REDIS_KEY_PREFIX: 'my app:' },
    variable: 'REDIS_KEY_PREFIX',
    value: 'my app:',
    expected: /or whitespace/,
  },
  {
    env: { REDIS_KEY_PREFIX: 'a[b]:' },
    variable: 'REDIS_KEY_PREFIX',
    value: 'a[b]:',
    expected: /without glob characters/,
  },
  {
    env: { REDIS_KEY_PREFIX: 'a\\b' },
    variable: 'REDIS_KEY_PREFIX',
    value: 'a\\b',
    expected: /without glob characters/,
  },
  {
    env: { REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 'b:26379', REDIS_SENTINEL_MASTER: 'm' },
    variable: 'REDIS_SENTINELS',
    value: 'b:26379',
    expected: /not to be combined with REDIS_CLUSTER_NODES/,
  },
  {
    env: { REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis://a:7000' },
    variable: 'REDIS_URL',
    value: 'redis://a:7000',
    expected: /not to be combined with REDIS_CLUSTER_NODES/,
  },
  {
    env: { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_HOST: 'a' },
    variable: 'REDIS_HOST',
    value: 'a',
    expected: /not to be combined with REDIS_SENTINELS/,
  },
  {
    env: { REDIS_CLUSTER_NODES: 'a:7000,b:0' },
    variable: 'REDIS_CLUSTER_NODES',
    value: 'a:7000,b:0',
    expected: /host:port \(IPv6 as \[::1\]:port\)/,
  },
  {
    env: { REDIS_CLUSTER_NODES: '::1:7000' },
    variable: 'REDIS_CLUSTER_NODES',
    value: '::1:7000',
    expected: /IPv6 as \[::1\]:port/,
  },
  {
    env: { REDIS_CLUSTER_NODES: 'a:7000,,b:7001' },
    variable: 'REDIS_CLUSTER_NODES',
    value: 'a:7000,,b:7001',
    expected: /comma-separated list/,
  },
  {
    env: { REDIS_CLUSTER_NODES: 'a:7000', REDIS_DB: '2' },
    variable: 'REDIS_DB',
    value: '2',
    expected: /only database 0/,
  },
  {
    env: { REDIS_SENTINELS: 'a:26379' },
    variable: 'REDIS_SENTINEL_MASTER',
    value: undefined,
    expected: /master name/,
  },
  {
    env: { REDIS_SENTINEL_MASTER: 'mymaster' },
    variable: 'REDIS_SENTINEL_MASTER',
    value: 'mymaster',
    expected: /together with REDIS_SENTINELS/,
  },
  {
    env: { REDIS_TLS_CA_FILE: join(dir, 'missing.pem') },
    variable: 'REDIS_TLS_CA_FILE',
    value: join(dir, 'missing.pem'),
    expected: /readable PEM file \(ENOENT\)/,
  },
  {
    env: { REDIS_TLS_CERT_FILE: pemFile },
    variable: 'REDIS_TLS_KEY_FILE',
    value: undefined,
    expected: /client key file/,
  },
  {
    env: { REDIS_URL: `rediss://:${SECRET}@host`, REDIS_TLS: 'false' },
    variable: 'REDIS_TLS',
    value: 'false',
    expected: /uses rediss:\/\//,
  },
  {
    env: { REDIS_TLS: 'sometimes' },
    variable: 'REDIS_TLS',
    value: 'sometimes',
    expected: /one of true, false/,
  },
  {
    env: { REDIS_COMMAND_TIMEOUT_MS: '0' },
    variable: 'REDIS_COMMAND_TIMEOUT_MS',
    value: '0',
    expected: /milliseconds 1-3600000/,
  },
  {
    env: { REDIS_CONNECT_TIMEOUT_MS: '1.5' },
    variable: 'REDIS_CONNECT_TIMEOUT_MS',
    value: '1.5',
    expected: /integer number of milliseconds/,
  },
  {
    env: { REDIS_MAX_RETRIES_PER_REQUEST: '-1' },
    variable: 'REDIS_MAX_RETRIES_PER_REQUEST',
    value: '-1',
    expected: /an integer 0-1000/,
  },
  {
    env: { REDIS_RETRY_MAX_MS: '10' },
    variable: 'REDIS_RETRY_MAX_MS',
    value: '10',
    expected: /at least the base retry delay \(50 ms\)/,
  },
  {
    env: { REDIS_USERNAME: 'two words' },
    variable: 'REDIS_USERNAME',
    value: 'two words',
    expected: /without whitespace/,
  },
];

describe('loadRedisConfig rejects bad input with a RedisConfigError', () => {
  it('has at least 15 cases', () => {
    expect(bad.length).toBeGreaterThanOrEqual(15);
  });

  it.each(bad.map((c) => [`${c.variable} (${Object.keys(c.env).join(', ')})`, c] as const))(
    '%s',
    (_title, c) => {
      let caught: unknown;
      try {
        loadRedisConfig({ REDIS_PASSWORD: SECRET, ...c.env });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(RedisConfigError);
      const error = caught as RedisConfigError;
      expect(error.code).toBe('E_REDIS_CONFIG');
      expect(error.variable).toBe(c.variable);
      expect(error.value).toBe(c.value);
      expect(error.expected).toMatch(c.expected);
      expect(error.message).toContain(c.variable);
      expect(error.message).toMatch(c.expected);
      expect(error.message).not.toContain(SECRET);
      expect(String(error.value)).not.toContain(SECRET);
    },
  );

  it('formats the message as VARIABLE="value" is invalid: expected ...', () => {
    expect(() => loadRedisConfig({ REDIS_PORT: 'abc' })).toThrow(
      'REDIS_PORT="abc" is invalid: expected an integer port 1-65535',
    );
    expect(errors.RedisConfigError).toBe(RedisConfigError);
  });
});

describe('loadRedisConfig accepts good input', () => {
  const enabled = (config: RedisConfig) => {
    if (!config.enabled) throw new Error('expected an enabled config');
    return config;
  };

  it('defaults to a local standalone server with documented defaults', () => {
    expect(loadRedisConfig({})).toEqual({
      enabled: true,
      mode: 'standalone',
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      keyPrefix: '',
      connectTimeoutMs: 5000,
      commandTimeoutMs: 2000,
      maxRetriesPerRequest: 2,
      healthTimeoutMs: 1000,
      downAfterMs: 5000,
      retryBaseMs: 50,
      retryMaxMs: 2000,
      enableAutoPipelining: false,
      warnings: [],
    });
  });

  it.each(['false', '0', 'no', 'off', 'FALSE'])(
    'REDIS_ENABLED=%s wins over everything, even invalid values',
    (v) => {
      expect(
        loadRedisConfig({ REDIS_ENABLED: v, REDIS_PORT: 'garbage', REDIS_CLUSTER_NODES: 'x' }),
      ).toEqual({
        enabled: false,
      });
    },
  );

  it('treats empty strings as unset', () => {
    const config = enabled(
      loadRedisConfig({ REDIS_ENABLED: '', REDIS_PORT: '', REDIS_URL: ' ', REDIS_DB: '' }),
    );
    expect(config).toMatchObject({ mode: 'standalone', port: 6379, db: 0 });
  });

  it('parses a rediss:// URL with user, URL-encoded password and db', () => {
    const config = enabled(
      loadRedisConfig({ REDIS_URL: 'rediss://app:p%40ss%3Aword@cache.internal:6380/3' }),
    );
    expect(config).toMatchObject({
      mode: 'standalone',
      host: 'cache.internal',
      port: 6380,
      db: 3,
      username: 'app',
      password: 'p@ss:word',
      tls: { rejectUnauthorized: true },
    });
  });

  it('parses an IPv6 URL host', () => {
    expect(loadRedisConfig({ REDIS_URL: 'redis://[::1]:7000' })).toMatchObject({
      host: '::1',
      port: 7000,
    });
  });

  it('lets REDIS_URL win over REDIS_HOST/REDIS_PORT, with a warning', () => {
    const config = enabled(
      loadRedisConfig({ REDIS_URL: 'redis://a:1234', REDIS_HOST: 'b', REDIS_PORT: '99' }),
    );
    expect(config).toMatchObject({ host: 'a', port: 1234 });
    expect(config.warnings).toEqual([
      'REDIS_HOST is ignored because REDIS_URL is set',
      'REDIS_PORT is ignored because REDIS_URL is set',
    ]);
  });

  it('fills the password, user and db from discrete variables when the URL leaves them out', () => {
    const config = loadRedisConfig({
      REDIS_URL: 'redis://a:1234',
      REDIS_PASSWORD: SECRET,
      REDIS_USERNAME: 'svc',
      REDIS_DB: '4',
    });
    expect(config).toMatchObject({ password: SECRET, username: 'svc', db: 4, warnings: [] });
  });

  it('reads discrete variables, key prefix, timeouts and TLS files', () => {
    const config = enabled(
      loadRedisConfig({
        REDIS_HOST: 'redis.internal',
        REDIS_PORT: '6390',
        REDIS_DB: '2',
        REDIS_PASSWORD: SECRET,
        REDIS_KEY_PREFIX: 'dental:',
        REDIS_TLS: 'yes',
        REDIS_TLS_CA_FILE: pemFile,
        REDIS_TLS_REJECT_UNAUTHORIZED: 'off',
        REDIS_CONNECT_TIMEOUT_MS: '1000',
        REDIS_COMMAND_TIMEOUT_MS: '250',
        REDIS_MAX_RETRIES_PER_REQUEST: '0',
        REDIS_HEALTH_TIMEOUT_MS: '300',
        REDIS_DOWN_AFTER_MS: '0',
        REDIS_RETRY_BASE_MS: '10',
        REDIS_RETRY_MAX_MS: '500',
        REDIS_AUTO_PIPELINING: 'true',
      }),
    );
    expect(config).toMatchObject({
      host: 'redis.internal',
      port: 6390,
      db: 2,
      password: SECRET,
      keyPrefix: 'dental:',
      tls: { rejectUnauthorized: false, ca: expect.stringContaining('BEGIN CERTIFICATE') },
      connectTimeoutMs: 1000,
      commandTimeoutMs: 250,
      maxRetriesPerRequest: 0,
      healthTimeoutMs: 300,
      downAfterMs: 0,
      retryBaseMs: 10,
      retryMaxMs: 500,
      enableAutoPipelining: true,
    });
  });

  it('reads cluster nodes, with IPv6 brackets and a default port', () => {
    expect(
      loadRedisConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, [::1]:7001,node-c' }),
    ).toMatchObject({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
        { host: 'node-c', port: 6379 },
      ],
    });
  });

  it('reads sentinels with master name and sentinel credentials', () => {
    expect(
      loadRedisConfig({
        REDIS_SENTINELS: 's1:26379,s2',
        REDIS_SENTINEL_MASTER: 'mymaster',
        REDIS_SENTINEL_USERNAME: 'sentinel-user',
        REDIS_SENTINEL_PASSWORD: SECRET,
        REDIS_DB: '1',
      }),
    ).toMatchObject({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'mymaster',
      sentinelUsername: 'sentinel-user',
      sentinelPassword: SECRET,
      db: 1,
    });
  });

  it('masks a bad sentinel-related secret too', () => {
    // A password can only be "bad" when it is not a string, which env values never are: options can.
    expect(() => defineRedisConfig({ host: 'a', password: 42 as unknown as string })).toThrow(
      'password="***" is invalid: expected a string',
    );
  });
});

describe('defineRedisConfig validates options the same way', () => {
  it('fills defaults', () => {
    expect(defineRedisConfig({ host: 'h', port: 7000 })).toMatchObject({
      enabled: true,
      mode: 'standalone',
      host: 'h',
      port: 7000,
      commandTimeoutMs: 2000,
    });
  });

  it('names the option field in errors', () => {
    expect(() => defineRedisConfig({ port: 0 })).toThrow(
      'port="0" is invalid: expected an integer port 1-65535',
    );
    expect(() => defineRedisConfig({ mode: 'cluster', nodes: [] })).toThrow(
      /nodes="\[\]" is invalid/,
    );
    expect(() => defineRedisConfig({ tls: { caFile: join(dir, 'nope.pem') } })).toThrow(
      /tls.caFile=.* is invalid/,
    );
    expect(() => defineRedisConfig({ url: `redis://:${SECRET}@h/x` })).toThrow(
      'url="redis://:***@h/x"',
    );
    expect(() => defineRedisConfig({ keyPrefix: 'x*' })).toThrow(/keyPrefix="x\*"/);
  });

  it('accepts arrays of host/port and an already-validated config', () => {
    const config = defineRedisConfig({
      nodes: [{ host: '127.0.0.1', port: 7000 }],
      keyPrefix: 'p:',
    });
    expect(defineRedisConfig(config)).toEqual(config);
    const tls = defineRedisConfig({ host: 'h', tls: { caFile: pemFile } });
    expect(defineRedisConfig(tls)).toEqual(tls);
    expect(defineRedisConfig({ enabled: false })).toEqual({ enabled: false });
  });
});
