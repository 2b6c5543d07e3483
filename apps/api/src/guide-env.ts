import { AppConfigError } from './env.js';

type Env = Record<string, string | undefined>;

/**
 * The users' guides use variables `@redis-toolkit/connection` does not read. Each is either
 * translated to the toolkit's variable (same meaning) or refused at start naming the variable to
 * use instead: a setting copied from a guide is never silently ignored.
 */
export interface GuideTranslation {
  /** The environment for `loadRedisConfig`: the input plus translated `REDIS_*` variables. */
  redisEnv: Env;
  /** One line per translated variable, logged at start. */
  notes: string[];
}

const set = (env: Env, name: string) => env[name] !== undefined && env[name] !== '';

const INTEGER_MS = /^\d{1,7}$/;

/** `from` (milliseconds in the guides) feeds `to`; both set and different is a conflict. */
function alias(env: Env, out: Env, notes: string[], from: string, to: string, what: string) {
  if (!set(env, from)) return;
  const value = String(env[from]).trim();
  if (!INTEGER_MS.test(value) || Number(value) < 1 || Number(value) > 3_600_000)
    throw new AppConfigError(
      `${from}=${JSON.stringify(env[from])} is invalid: expected ${what} as milliseconds 1-3600000 (it feeds ${to}; prefer ${to})`,
    );
  if (set(env, to) && String(env[to]).trim() !== value)
    throw new AppConfigError(
      `${from}=${value} conflicts with ${to}=${env[to]}: set only ${to} (the toolkit's name)`,
    );
  out[to] = value;
  notes.push(`${from}=${value} read as ${to} (rename it: ${from} is the guides' name)`);
}

function refuse(env: Env, name: string, instead: string) {
  if (set(env, name))
    throw new AppConfigError(`${name} is not supported by redis-toolkit: ${instead}`);
}

export function translateGuideEnv(env: Env): GuideTranslation {
  const out: Env = { ...env };
  const notes: string[] = [];

  alias(env, out, notes, 'REDIS_CONNECT_TIMEOUT', 'REDIS_CONNECT_TIMEOUT_MS', 'a connect timeout');
  // Guide 003 passes REDIS_RETRY_DELAY as the step of a retry delay capped at 2 s: the toolkit's
  // base of an exponential backoff capped by REDIS_RETRY_MAX_MS (default 2 s) is the same knob.
  alias(env, out, notes, 'REDIS_RETRY_DELAY', 'REDIS_RETRY_BASE_MS', 'the first retry delay');

  // In the guides REDIS_MAX_RETRIES is ioredis' maxRetriesPerRequest; the connection itself
  // reconnects forever, so a count of reconnect attempts has no equivalent.
  if (set(env, 'REDIS_MAX_RETRIES')) {
    const value = String(env.REDIS_MAX_RETRIES).trim();
    if (!/^\d{1,4}$/.test(value) || Number(value) > 1000)
      throw new AppConfigError(
        `REDIS_MAX_RETRIES=${JSON.stringify(env.REDIS_MAX_RETRIES)} is invalid: expected an integer 0-1000 (it feeds REDIS_MAX_RETRIES_PER_REQUEST; prefer that name)`,
      );
    if (set(env, 'REDIS_MAX_RETRIES_PER_REQUEST') && env.REDIS_MAX_RETRIES_PER_REQUEST !== value)
      throw new AppConfigError(
        `REDIS_MAX_RETRIES=${value} conflicts with REDIS_MAX_RETRIES_PER_REQUEST=${env.REDIS_MAX_RETRIES_PER_REQUEST}: set only REDIS_MAX_RETRIES_PER_REQUEST`,
      );
    out.REDIS_MAX_RETRIES_PER_REQUEST = value;
    notes.push(
      `REDIS_MAX_RETRIES=${value} read as REDIS_MAX_RETRIES_PER_REQUEST (per command; the connection itself reconnects forever)`,
    );
  }

  if (set(env, 'REDIS_RETRY_STRATEGY')) {
    const value = String(env.REDIS_RETRY_STRATEGY).trim().toLowerCase();
    if (value !== 'exponential')
      throw new AppConfigError(
        `REDIS_RETRY_STRATEGY=${JSON.stringify(env.REDIS_RETRY_STRATEGY)} is not supported: redis-toolkit always reconnects with exponential backoff and jitter; tune it with REDIS_RETRY_BASE_MS and REDIS_RETRY_MAX_MS`,
      );
    notes.push(
      "REDIS_RETRY_STRATEGY=exponential is the toolkit's only strategy (REDIS_RETRY_BASE_MS / REDIS_RETRY_MAX_MS tune it)",
    );
  }

  if (set(env, 'CACHE_PROVIDER')) {
    const value = String(env.CACHE_PROVIDER).trim().toLowerCase();
    const enabled = set(env, 'REDIS_ENABLED')
      ? String(env.REDIS_ENABLED).trim().toLowerCase()
      : undefined;
    const redisOff = enabled !== undefined && ['false', '0', 'no', 'off'].includes(enabled);
    if (value === 'memory') {
      if (enabled !== undefined && !redisOff)
        throw new AppConfigError(
          `CACHE_PROVIDER=memory conflicts with REDIS_ENABLED=${env.REDIS_ENABLED}: use REDIS_ENABLED=false alone`,
        );
      out.REDIS_ENABLED = 'false';
      notes.push(
        'CACHE_PROVIDER=memory read as REDIS_ENABLED=false: memory caches, rate limits and sessions in this instance only',
      );
    } else if (value === 'redis') {
      if (redisOff)
        throw new AppConfigError(
          `CACHE_PROVIDER=redis conflicts with REDIS_ENABLED=${env.REDIS_ENABLED}: use REDIS_ENABLED alone`,
        );
    } else {
      throw new AppConfigError(
        `CACHE_PROVIDER=${JSON.stringify(env.CACHE_PROVIDER)} is invalid: expected 'redis' or 'memory' (prefer REDIS_ENABLED=true|false)`,
      );
    }
  }

  for (const tier of ['SHORT', 'MEDIUM', 'LONG', 'DAY'])
    refuse(
      env,
      `CACHE_TTL_${tier}`,
      'this API sets each cache TTL per route, as the guides do (src/dental/keys.ts DentalTtl, school and care routes); remove the variable',
    );
  return { redisEnv: out, notes };
}
