import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type Duration,
  defineRedisConfig,
  errors,
  loadRedisConfig,
  type RedisConfig,
  RedisConfigError,
  type RedisConfigInput,
  type RedisTuningInput,
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
    env: { REDIS_RETRY_MAX: '10ms' },
    variable: 'REDIS_RETRY_MAX',
    value: '10ms',
    expected: /at least the base retry delay \(50 ms\)/,
  },
  {
    env: { REDIS_RETRY_MAX_MS: '10' },
    variable: 'REDIS_RETRY_MAX_MS',
    value: '10',
    expected: /at least the base retry delay \(50 ms\)/,
  },
  {
    env: { REDIS_COMMAND_TIMEOUT: '2 weeks' },
    variable: 'REDIS_COMMAND_TIMEOUT',
    value: '2 weeks',
    expected: /seconds as a number, or a string like '500ms', '30s'.*from 1ms to 1h/,
  },
  {
    env: { REDIS_COMMAND_TIMEOUT: '0' },
    variable: 'REDIS_COMMAND_TIMEOUT',
    value: '0',
    expected: /from 1ms to 1h/,
  },
  {
    env: { REDIS_CONNECT_TIMEOUT: '10000' }, // seconds: over the 1 h bound (the guides meant ms)
    variable: 'REDIS_CONNECT_TIMEOUT',
    value: '10000',
    expected: /from 1ms to 1h/,
  },
  {
    env: { REDIS_COMMAND_TIMEOUT: '2s', REDIS_COMMAND_TIMEOUT_MS: '2000' },
    variable: 'REDIS_COMMAND_TIMEOUT_MS',
    value: '2000',
    expected:
      /not to be combined with REDIS_COMMAND_TIMEOUT: REDIS_COMMAND_TIMEOUT_MS is its deprecated alias/,
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
        REDIS_CONNECT_TIMEOUT: '1',
        REDIS_COMMAND_TIMEOUT: '250ms',
        REDIS_MAX_RETRIES_PER_REQUEST: '0',
        REDIS_HEALTH_TIMEOUT: '0.3',
        REDIS_DOWN_AFTER: '0',
        REDIS_RETRY_BASE: '10 ms',
        REDIS_RETRY_MAX: '0.5s',
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
      warnings: [],
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

describe('durations: the toolkit vocabulary, with the *Ms names as deprecated aliases', () => {
  const enabled = (config: RedisConfig) => {
    if (!config.enabled) throw new Error('expected an enabled config');
    return config;
  };
  const refusal = (field: string, message: RegExp) =>
    expect.objectContaining({
      code: 'E_REDIS_CONFIG',
      field,
      message: expect.stringMatching(message),
    });

  it('types: the durations take a Duration, the *Ms aliases a number', () => {
    expectTypeOf<RedisTuningInput['commandTimeout']>().toEqualTypeOf<Duration | undefined>();
    expectTypeOf<RedisTuningInput['commandTimeoutMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf({
      host: 'h',
      commandTimeout: '2s',
      retryBase: 0.05,
    } as const).toExtend<RedisConfigInput>();
    const typo: RedisTuningInput = {
      // @ts-expect-error 'weeks' is not a unit
      commandTimeout: '2 weeks',
    };
    expect(() => defineRedisConfig(typo)).toThrow(RedisConfigError);
  });

  it('an option given as a number is seconds, a string carries its unit', () => {
    expect(
      defineRedisConfig({
        connectTimeout: 3,
        commandTimeout: 0.25,
        healthTimeout: '750ms',
        downAfter: '1m',
        retryBase: '20ms',
        retryMax: '1.5 s',
      }),
    ).toMatchObject({
      connectTimeoutMs: 3000,
      commandTimeoutMs: 250,
      healthTimeoutMs: 750,
      downAfterMs: 60_000,
      retryBaseMs: 20,
      retryMaxMs: 1500,
      warnings: [],
    });
    expect(defineRedisConfig({ commandTimeout: '2' })).toMatchObject({ commandTimeoutMs: 2000 });
    expect(defineRedisConfig({ downAfter: 0 })).toMatchObject({ downAfterMs: 0 });
  });

  it('a variable without a unit is seconds; with one, that unit', () => {
    expect(
      enabled(
        loadRedisConfig({
          REDIS_COMMAND_TIMEOUT: '2',
          REDIS_CONNECT_TIMEOUT: '10s',
          REDIS_HEALTH_TIMEOUT: '500ms',
          REDIS_DOWN_AFTER: '1m',
          REDIS_RETRY_BASE: '0.1',
          REDIS_RETRY_MAX: '3s',
        }),
      ),
    ).toMatchObject({
      commandTimeoutMs: 2000,
      connectTimeoutMs: 10_000,
      healthTimeoutMs: 500,
      downAfterMs: 60_000,
      retryBaseMs: 100,
      retryMaxMs: 3000,
      warnings: [],
    });
  });

  it('refuses a value that is no duration, or out of range, naming the option', () => {
    for (const value of [-1, '5 weeks', true, '0ms', '2h', Number.NaN]) {
      expect(() => defineRedisConfig({ commandTimeout: value as never })).toThrow(
        refusal(
          'commandTimeout',
          /^commandTimeout=.* is invalid: expected seconds as a number, or a string like '500ms'.*from 1ms to 1h/,
        ),
      );
    }
    expect(() => defineRedisConfig({ retryBase: '1s', retryMax: '500ms' })).toThrow(
      refusal('retryMax', /at least the base retry delay \(1000 ms\)/),
    );
  });

  it('the deprecated *Ms options still work, in milliseconds, without a warning', () => {
    expect(
      defineRedisConfig({
        connectTimeoutMs: 3000,
        commandTimeoutMs: 250,
        healthTimeoutMs: 750,
        downAfterMs: 0,
        retryBaseMs: 20,
        retryMaxMs: 1500,
      }),
    ).toMatchObject({
      connectTimeoutMs: 3000,
      commandTimeoutMs: 250,
      healthTimeoutMs: 750,
      downAfterMs: 0,
      retryBaseMs: 20,
      retryMaxMs: 1500,
      warnings: [],
    });
    expect(() => defineRedisConfig({ commandTimeoutMs: 1.5 })).toThrow(
      refusal('commandTimeoutMs', /integer number of milliseconds 1-3600000/),
    );
  });

  it('the deprecated REDIS_*_MS variables still work, each with a warning naming the new variable', () => {
    const config = enabled(
      loadRedisConfig({ REDIS_COMMAND_TIMEOUT_MS: '250', REDIS_DOWN_AFTER_MS: '0' }),
    );
    expect(config).toMatchObject({ commandTimeoutMs: 250, downAfterMs: 0 });
    expect(config.warnings).toEqual([
      'REDIS_COMMAND_TIMEOUT_MS is deprecated: use REDIS_COMMAND_TIMEOUT, a duration (REDIS_COMMAND_TIMEOUT_MS=250 is REDIS_COMMAND_TIMEOUT=250ms; a bare number there is seconds)',
      'REDIS_DOWN_AFTER_MS is deprecated: use REDIS_DOWN_AFTER, a duration (REDIS_DOWN_AFTER_MS=0 is REDIS_DOWN_AFTER=0ms; a bare number there is seconds)',
    ]);
    // a loaded config passes through defineRedisConfig again unchanged (its warnings too)
    expect(defineRedisConfig(config)).toEqual(config);
  });

  it('both names of one setting are an error naming both', () => {
    const pairs = [
      ['connectTimeout', 'connectTimeoutMs'],
      ['commandTimeout', 'commandTimeoutMs'],
      ['healthTimeout', 'healthTimeoutMs'],
      ['downAfter', 'downAfterMs'],
      ['retryBase', 'retryBaseMs'],
      ['retryMax', 'retryMaxMs'],
    ] as const;
    for (const [name, alias] of pairs) {
      expect(() => defineRedisConfig({ [name]: 1, [alias]: 1000 })).toThrow(
        refusal(
          alias,
          new RegExp(
            `^${alias}="1000" is invalid: expected not to be combined with ${name}: ${alias} is its deprecated alias in milliseconds, set only ${name}$`,
          ),
        ),
      );
    }
    expect(() => loadRedisConfig({ REDIS_RETRY_MAX: '1s', REDIS_RETRY_MAX_MS: '1000' })).toThrow(
      refusal('REDIS_RETRY_MAX_MS', /not to be combined with REDIS_RETRY_MAX:/),
    );
  });

  it('an unknown option suggests the new name and lists only the new names', () => {
    for (const typo of ['comandTimeout', 'commandTimeoutMS', 'connectTimout', 'retryMaxms']) {
      let caught: unknown;
      try {
        defineRedisConfig({ host: 'h', [typo]: 1 } as never);
      } catch (error) {
        caught = error;
      }
      expect(caught, typo).toBeInstanceOf(RedisConfigError);
      const message = (caught as Error).message;
      expect(message, typo).toMatch(/did you mean `(commandTimeout|connectTimeout|retryMax)`\?/);
      expect(message, typo).toMatch(/known: .*commandTimeout, maxRetriesPerRequest, healthTimeout/);
      expect(message, typo).not.toMatch(/TimeoutMs|retryMaxMs|downAfterMs/);
    }
  });
});
