import type { RedisConfig } from './config-types.js';
import type { Field } from './fields.js';
import { DURATION_ALIASES, type RawConfig, resolveConfig } from './resolve.js';

/** Which environment variable feeds which setting. The README's table lists the same names. */
export const ENV_VARIABLES = {
  enabled: 'REDIS_ENABLED',
  url: 'REDIS_URL',
  host: 'REDIS_HOST',
  port: 'REDIS_PORT',
  username: 'REDIS_USERNAME',
  password: 'REDIS_PASSWORD',
  db: 'REDIS_DB',
  tls: 'REDIS_TLS',
  tlsCaFile: 'REDIS_TLS_CA_FILE',
  tlsCertFile: 'REDIS_TLS_CERT_FILE',
  tlsKeyFile: 'REDIS_TLS_KEY_FILE',
  tlsRejectUnauthorized: 'REDIS_TLS_REJECT_UNAUTHORIZED',
  keyPrefix: 'REDIS_KEY_PREFIX',
  sentinels: 'REDIS_SENTINELS',
  sentinelMaster: 'REDIS_SENTINEL_MASTER',
  sentinelUsername: 'REDIS_SENTINEL_USERNAME',
  sentinelPassword: 'REDIS_SENTINEL_PASSWORD',
  clusterNodes: 'REDIS_CLUSTER_NODES',
  connectTimeout: 'REDIS_CONNECT_TIMEOUT',
  commandTimeout: 'REDIS_COMMAND_TIMEOUT',
  maxRetriesPerRequest: 'REDIS_MAX_RETRIES_PER_REQUEST',
  healthTimeout: 'REDIS_HEALTH_TIMEOUT',
  downAfter: 'REDIS_DOWN_AFTER',
  retryBase: 'REDIS_RETRY_BASE',
  retryMax: 'REDIS_RETRY_MAX',
  enableAutoPipelining: 'REDIS_AUTO_PIPELINING',
  // Deprecated aliases, in integer milliseconds; each is read with a start-up warning.
  connectTimeoutMs: 'REDIS_CONNECT_TIMEOUT_MS',
  commandTimeoutMs: 'REDIS_COMMAND_TIMEOUT_MS',
  healthTimeoutMs: 'REDIS_HEALTH_TIMEOUT_MS',
  downAfterMs: 'REDIS_DOWN_AFTER_MS',
  retryBaseMs: 'REDIS_RETRY_BASE_MS',
  retryMaxMs: 'REDIS_RETRY_MAX_MS',
} as const satisfies Partial<Record<keyof RawConfig, string>>;

const SECRET = new Set<string>(['password', 'sentinelPassword']);

/**
 * Reads the `REDIS_*` variables (see the README for the table and the precedence) and returns a
 * validated configuration. Empty strings count as unset. Throws `RedisConfigError` naming the
 * variable, its value (secrets masked) and the expected form. TLS files are read here.
 */
export function loadRedisConfig(
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
): RedisConfig {
  const raw: RawConfig = { warnings: [] };
  for (const [key, variable] of Object.entries(ENV_VARIABLES) as [
    keyof typeof ENV_VARIABLES,
    string,
  ][]) {
    const field: Field = { label: variable, value: env[variable] };
    if (SECRET.has(key)) field.secret = true;
    if (key === 'url') field.url = true;
    raw[key] = field;
  }
  const aliases = Object.entries(DURATION_ALIASES) as [
    keyof typeof DURATION_ALIASES,
    (typeof DURATION_ALIASES)[keyof typeof DURATION_ALIASES],
  ][];
  for (const [name, alias] of aliases) {
    const value = env[ENV_VARIABLES[alias]];
    if (value === undefined || value.trim() === '') continue;
    raw.warnings?.push(
      `${ENV_VARIABLES[alias]} is deprecated: use ${ENV_VARIABLES[name]}, a duration (${ENV_VARIABLES[alias]}=${value.trim()} is ${ENV_VARIABLES[name]}=${value.trim()}ms; a bare number there is seconds)`,
    );
  }
  return resolveConfig(raw);
}
