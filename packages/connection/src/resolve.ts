import {
  DEFAULTS,
  type HostPort,
  type RedisConfig,
  type RedisTlsConfig,
  type RedisTuning,
} from './config-types.js';
import {
  type Field,
  fail,
  isSet,
  readBool,
  readDuration,
  readHostPorts,
  readInt,
  readKeyPrefix,
  readMs,
  readName,
  readPemFile,
  readPort,
  readSecret,
  readString,
} from './fields.js';
import { parseRedisUrl } from './url.js';

/** Every input either source (env or options) can provide, each with the label errors use. */
export interface RawConfig {
  enabled?: Field;
  mode?: Field;
  url?: Field;
  host?: Field;
  port?: Field;
  username?: Field;
  password?: Field;
  db?: Field;
  tls?: Field;
  tlsCa?: Field;
  tlsCert?: Field;
  tlsKey?: Field;
  tlsCaFile?: Field;
  tlsCertFile?: Field;
  tlsKeyFile?: Field;
  tlsRejectUnauthorized?: Field;
  keyPrefix?: Field;
  sentinels?: Field;
  sentinelMaster?: Field;
  sentinelUsername?: Field;
  sentinelPassword?: Field;
  clusterNodes?: Field;
  connectTimeout?: Field;
  commandTimeout?: Field;
  maxRetriesPerRequest?: Field;
  healthTimeout?: Field;
  downAfter?: Field;
  retryBase?: Field;
  retryMax?: Field;
  /** Deprecated aliases of the durations above, in integer milliseconds. */
  connectTimeoutMs?: Field;
  commandTimeoutMs?: Field;
  healthTimeoutMs?: Field;
  downAfterMs?: Field;
  retryBaseMs?: Field;
  retryMaxMs?: Field;
  enableAutoPipelining?: Field;
  warnings?: string[];
}

const DB_EXPECTED = 'a non-negative integer database index, e.g. 0';
const NAME_EXPECTED = 'a non-empty name without whitespace';

/**
 * Turns raw values into a validated `RedisConfig`. Precedence:
 * 1. `enabled` false wins over everything (nothing else is validated).
 * 2. The topology: cluster nodes, sentinels, URL, or host/port. Cluster nodes and sentinels are
 *    exclusive, and neither combines with a URL or host/port (an error names both).
 * 3. With a URL, the URL wins for host and port (host/port are ignored with a warning);
 *    username, password and db fill only what the URL leaves out.
 */
export function resolveConfig(raw: RawConfig): RedisConfig {
  if (isSet(raw.enabled) && !readBool(raw.enabled)) return { enabled: false };

  const warnings = [...(raw.warnings ?? [])];
  const set = (f: Field | undefined): f is Field => isSet(f);
  /** Same test without narrowing, for "is missing" branches that still report the field's label. */
  const missing = (f: Field | undefined): boolean => !isSet(f);
  const conflict = (a: Field, b: Field): never =>
    fail(a, `not to be combined with ${b.label} (choose one topology)`);

  if (set(raw.clusterNodes) && set(raw.sentinels)) conflict(raw.sentinels, raw.clusterNodes);
  for (const topology of [raw.clusterNodes, raw.sentinels]) {
    if (!set(topology)) continue;
    for (const other of [raw.url, raw.host, raw.port]) if (set(other)) conflict(other, topology);
  }
  if (set(raw.sentinelMaster) && missing(raw.sentinels)) {
    fail(raw.sentinelMaster, `to be used together with ${raw.sentinels?.label ?? 'sentinels'}`);
  }
  const mode = set(raw.mode) ? readString(raw.mode) : undefined;
  if (mode !== undefined && !['standalone', 'sentinel', 'cluster'].includes(mode)) {
    fail(raw.mode as Field, 'one of standalone, sentinel, cluster');
  }
  if (mode === 'cluster' && missing(raw.clusterNodes)) {
    fail(
      raw.clusterNodes ?? { label: 'nodes', value: undefined },
      'a list of cluster nodes when mode is cluster',
    );
  }
  if (mode === 'sentinel' && missing(raw.sentinels)) {
    fail(
      raw.sentinels ?? { label: 'sentinels', value: undefined },
      'a list of sentinels when mode is sentinel',
    );
  }

  const url = set(raw.url) ? parseRedisUrl(raw.url) : undefined;
  const tuning = readTuning(raw);
  let username = set(raw.username) ? readName(raw.username, NAME_EXPECTED) : undefined;
  let password = set(raw.password) ? readSecret(raw.password) : undefined;
  let db = set(raw.db) ? readInt(raw.db, 0, 1_000_000, DB_EXPECTED) : undefined;
  if (url && raw.url) {
    const urlLabel = raw.url.label;
    for (const f of [raw.host, raw.port]) {
      if (set(f)) warnings.push(`${f.label} is ignored because ${urlLabel} is set`);
    }
    if (url.username !== undefined) {
      if (username !== undefined && username !== url.username) {
        warnings.push(`${raw.username?.label} is ignored because ${urlLabel} names a user`);
      }
      username = url.username;
    }
    if (url.password !== undefined) {
      if (password !== undefined && password !== url.password) {
        warnings.push(`${raw.password?.label} is ignored because ${urlLabel} holds a password`);
      }
      password = url.password;
    }
    if (url.db !== undefined) {
      if (db !== undefined && db !== url.db) {
        warnings.push(`${raw.db?.label} is ignored because ${urlLabel} names database ${url.db}`);
      }
      db = url.db;
    }
  }
  const tls = readTls(raw, url?.tls ?? false);
  const common = {
    enabled: true as const,
    ...tuning,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
    warnings,
  };

  if (set(raw.clusterNodes)) {
    if (db !== undefined && db !== 0 && raw.db)
      fail(raw.db, '0 or unset (Redis Cluster has only database 0)');
    const nodes: HostPort[] = readHostPorts(raw.clusterNodes, 6379, 'cluster nodes');
    return { ...common, mode: 'cluster', nodes };
  }
  if (set(raw.sentinels)) {
    const sentinels = readHostPorts(raw.sentinels, 26379, 'sentinels');
    const master = raw.sentinelMaster ?? { label: 'masterName', value: undefined };
    if (missing(master)) {
      fail(master, `the master name monitored by the sentinels (with ${raw.sentinels.label})`);
    }
    const masterName = readName(master, NAME_EXPECTED);
    return {
      ...common,
      mode: 'sentinel',
      sentinels,
      masterName,
      db: db ?? 0,
      ...(set(raw.sentinelUsername)
        ? { sentinelUsername: readName(raw.sentinelUsername, NAME_EXPECTED) }
        : {}),
      ...(set(raw.sentinelPassword) ? { sentinelPassword: readSecret(raw.sentinelPassword) } : {}),
    };
  }
  const host = url ? url.host : set(raw.host) ? readHost(raw.host) : '127.0.0.1';
  const port = url ? url.port : set(raw.port) ? readPort(raw.port) : 6379;
  return { ...common, mode: 'standalone', host, port, db: db ?? 0 };
}

function readHost(field: Field): string {
  const expected = 'a host name or IP address, e.g. redis.internal or 10.0.0.5';
  const host = readString(field, expected).replace(/^\[(.*)\]$/, '$1');
  if (!/^[A-Za-z0-9._-]+$/.test(host) && !/^[0-9A-Fa-f:.]+$/.test(host)) fail(field, expected);
  return host;
}

/** A duration setting: its `Duration` field and its deprecated alias in milliseconds. */
export const DURATION_ALIASES = {
  connectTimeout: 'connectTimeoutMs',
  commandTimeout: 'commandTimeoutMs',
  healthTimeout: 'healthTimeoutMs',
  downAfter: 'downAfterMs',
  retryBase: 'retryBaseMs',
  retryMax: 'retryMaxMs',
} as const satisfies Partial<Record<keyof RawConfig, keyof RawConfig>>;

type DurationName = keyof typeof DURATION_ALIASES;

/**
 * One duration in ms: from its `Duration` field, else from its deprecated `*Ms` alias (integer
 * milliseconds), else the default. Both given is an error naming both.
 */
function readDurationSetting(
  raw: RawConfig,
  name: DurationName,
  fallback: number,
  min = 1,
): { ms: number; field?: Field } {
  const current = raw[name];
  const alias = raw[DURATION_ALIASES[name]];
  if (isSet(current) && isSet(alias)) {
    fail(
      alias,
      `not to be combined with ${current.label}: ${alias.label} is its deprecated alias in milliseconds, set only ${current.label}`,
    );
  }
  if (isSet(current)) return { ms: readDuration(current, min), field: current };
  if (isSet(alias)) return { ms: readMs(alias, min), field: alias };
  return { ms: fallback };
}

function readTuning(raw: RawConfig): RedisTuning {
  const retryBase = readDurationSetting(raw, 'retryBase', DEFAULTS.retryBaseMs);
  const retryMax = readDurationSetting(raw, 'retryMax', DEFAULTS.retryMaxMs);
  const tuning: RedisTuning = {
    keyPrefix: isSet(raw.keyPrefix) ? readKeyPrefix(raw.keyPrefix) : DEFAULTS.keyPrefix,
    connectTimeoutMs: readDurationSetting(raw, 'connectTimeout', DEFAULTS.connectTimeoutMs).ms,
    commandTimeoutMs: readDurationSetting(raw, 'commandTimeout', DEFAULTS.commandTimeoutMs).ms,
    maxRetriesPerRequest: isSet(raw.maxRetriesPerRequest)
      ? readInt(raw.maxRetriesPerRequest, 0, 1000, 'an integer 0-1000')
      : DEFAULTS.maxRetriesPerRequest,
    healthTimeoutMs: readDurationSetting(raw, 'healthTimeout', DEFAULTS.healthTimeoutMs).ms,
    downAfterMs: readDurationSetting(raw, 'downAfter', DEFAULTS.downAfterMs, 0).ms,
    retryBaseMs: retryBase.ms,
    retryMaxMs: retryMax.ms,
    enableAutoPipelining: isSet(raw.enableAutoPipelining)
      ? readBool(raw.enableAutoPipelining)
      : DEFAULTS.enableAutoPipelining,
  };
  if (tuning.retryMaxMs < tuning.retryBaseMs && retryMax.field) {
    fail(retryMax.field, `at least the base retry delay (${tuning.retryBaseMs} ms)`);
  }
  if (tuning.retryMaxMs < tuning.retryBaseMs && retryBase.field) {
    fail(retryBase.field, `at most the largest retry delay (${tuning.retryMaxMs} ms)`);
  }
  return tuning;
}

function readTls(raw: RawConfig, urlWantsTls: boolean): RedisTlsConfig | undefined {
  const material = [
    raw.tlsCa,
    raw.tlsCert,
    raw.tlsKey,
    raw.tlsCaFile,
    raw.tlsCertFile,
    raw.tlsKeyFile,
  ];
  const hasMaterial = material.some(isSet);
  const wanted = isSet(raw.tls) ? readBool(raw.tls) : undefined;
  if (wanted === false && urlWantsTls && raw.tls) {
    fail(raw.tls, `true or unset (${raw.url?.label ?? 'the URL'} uses rediss://)`);
  }
  if (wanted === false && hasMaterial && raw.tls)
    fail(raw.tls, 'true or unset when TLS files are given');
  if (!(wanted ?? (urlWantsTls || hasMaterial))) return undefined;

  const pem = (content: Field | undefined, file: Field | undefined): string | undefined => {
    if (isSet(content)) return readSecret(content); // PEM text, kept verbatim
    if (isSet(file)) return readPemFile(file);
    return undefined;
  };
  const ca = pem(raw.tlsCa, raw.tlsCaFile);
  const cert = pem(raw.tlsCert, raw.tlsCertFile);
  const key = pem(raw.tlsKey, raw.tlsKeyFile);
  if (cert !== undefined && key === undefined) {
    fail(
      raw.tlsKeyFile ?? { label: 'tls.key', value: undefined },
      'a client key file when a client certificate is given',
    );
  }
  if (key !== undefined && cert === undefined) {
    fail(
      raw.tlsCertFile ?? { label: 'tls.cert', value: undefined },
      'a client certificate file when a client key is given',
    );
  }
  const rejectUnauthorized = isSet(raw.tlsRejectUnauthorized)
    ? readBool(raw.tlsRejectUnauthorized)
    : true;
  return {
    rejectUnauthorized,
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  };
}
