import type { RedisConfig, RedisConfigInput, RedisTlsInput } from './config-types.js';
import { RedisConfigError } from './errors.js';
import type { Field } from './fields.js';
import { DURATION_ALIASES, type RawConfig, resolveConfig } from './resolve.js';
import { nearest } from './runtime/options.js';

/** Every field `defineRedisConfig` reads, besides the deprecated `*Ms` aliases. */
const CONFIG_FIELDS = [
  'enabled',
  'mode',
  'url',
  'host',
  'port',
  'username',
  'password',
  'db',
  'tls',
  'keyPrefix',
  'sentinels',
  'masterName',
  'sentinelUsername',
  'sentinelPassword',
  'nodes',
  'connectTimeout',
  'commandTimeout',
  'maxRetriesPerRequest',
  'healthTimeout',
  'downAfter',
  'retryBase',
  'retryMax',
  'enableAutoPipelining',
  'warnings',
] as const;
/** Still accepted (a validated `RedisConfig` carries them), never suggested. */
const DEPRECATED_FIELDS = Object.values(DURATION_ALIASES);
const TLS_FIELDS = ['ca', 'cert', 'key', 'caFile', 'certFile', 'keyFile', 'rejectUnauthorized'];

/**
 * Refuses a field nobody reads, naming the nearest known one; the value is never shown (it may be
 * a secret). `deprecated` names are accepted too but never suggested nor listed.
 */
export function refuseUnknownFields(
  input: object,
  known: readonly string[],
  path = '',
  deprecated: readonly string[] = [],
): void {
  for (const name of Object.keys(input)) {
    if (known.includes(name) || deprecated.includes(name)) continue;
    const near = nearest(name, known);
    throw new RedisConfigError(
      `${path}${name}`,
      '***',
      `a known option, not an unknown one${near ? ` (did you mean \`${path}${near}\`?)` : ''}; known: ${known.join(', ')}`,
    );
  }
}

const f = (label: string, value: unknown, extra: Partial<Field> = {}): Field => ({
  label,
  value,
  ...extra,
});

/**
 * Validates a configuration given in code (no environment involved) exactly like
 * `loadRedisConfig` validates variables, fills defaults and reads TLS files. Errors name the
 * option field (`port`, `tls.caFile`). Passing an already-validated `RedisConfig` is fine.
 */
export function defineRedisConfig(input: RedisConfigInput): RedisConfig {
  if (typeof input !== 'object' || input === null) {
    throw new RedisConfigError(
      'config',
      String(input),
      'an object such as { host, port } or { url }',
    );
  }
  const i = input as Record<string, unknown>;
  refuseUnknownFields(i, CONFIG_FIELDS, '', DEPRECATED_FIELDS);
  const tlsValue = i.tls as boolean | RedisTlsInput | undefined;
  const tlsObject = typeof tlsValue === 'object' && tlsValue !== null ? tlsValue : undefined;
  if (tlsObject) refuseUnknownFields(tlsObject, TLS_FIELDS, 'tls.');
  const tls = (key: keyof RedisTlsInput) => f(`tls.${key}`, tlsObject?.[key]);
  const raw: RawConfig = {
    enabled: f('enabled', i.enabled),
    mode: f('mode', i.mode),
    url: f('url', i.url, { url: true }),
    host: f('host', i.host),
    port: f('port', i.port),
    username: f('username', i.username),
    password: f('password', i.password, { secret: true }),
    db: f('db', i.db),
    tls: f('tls', tlsObject ? true : tlsValue),
    tlsCa: tls('ca'),
    tlsCert: tls('cert'),
    tlsKey: { ...tls('key'), secret: true },
    tlsCaFile: tls('caFile'),
    tlsCertFile: tls('certFile'),
    tlsKeyFile: tls('keyFile'),
    tlsRejectUnauthorized: tls('rejectUnauthorized'),
    keyPrefix: f('keyPrefix', i.keyPrefix),
    sentinels: f('sentinels', i.sentinels),
    sentinelMaster: f('masterName', i.masterName),
    sentinelUsername: f('sentinelUsername', i.sentinelUsername),
    sentinelPassword: f('sentinelPassword', i.sentinelPassword, { secret: true }),
    clusterNodes: f('nodes', i.nodes),
    connectTimeout: f('connectTimeout', i.connectTimeout),
    commandTimeout: f('commandTimeout', i.commandTimeout),
    maxRetriesPerRequest: f('maxRetriesPerRequest', i.maxRetriesPerRequest),
    healthTimeout: f('healthTimeout', i.healthTimeout),
    downAfter: f('downAfter', i.downAfter),
    retryBase: f('retryBase', i.retryBase),
    retryMax: f('retryMax', i.retryMax),
    ...Object.fromEntries(DEPRECATED_FIELDS.map((name) => [name, f(name, i[name])])),
    enableAutoPipelining: f('enableAutoPipelining', i.enableAutoPipelining),
    warnings: Array.isArray(i.warnings)
      ? i.warnings.filter((w): w is string => typeof w === 'string')
      : [],
  };
  return resolveConfig(raw);
}
