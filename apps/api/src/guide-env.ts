import { durationToMs } from '@redis-toolkit/connection';
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

function guideMs(env: Env, name: string, what: string, feeds: string): string {
  const value = String(env[name]).trim();
  if (!INTEGER_MS.test(value) || Number(value) < 1 || Number(value) > 3_600_000)
    throw new AppConfigError(
      `${name}=${JSON.stringify(env[name])} is invalid: expected ${what} as milliseconds 1-3600000 (it feeds ${feeds}; prefer ${feeds}, a duration such as ${feeds}=500ms)`,
    );
  return value;
}

/**
 * The guides' `REDIS_CONNECT_TIMEOUT` is milliseconds without a unit; the toolkit's variable of
 * the same name reads a bare number as seconds. A bare integer is the guides' (read as ms, with
 * a note), a value with a unit is the toolkit's, and a bare decimal is ambiguous: refused.
 */
function guideTimeout(env: Env, out: Env, notes: string[], name: string, what: string) {
  if (!set(env, name)) return;
  const value = String(env[name]).trim();
  if (/^\d*\.\d+$/.test(value))
    throw new AppConfigError(
      `${name}=${value} has no unit: the guides mean milliseconds, redis-toolkit seconds; write it with a unit (${value}s or ${value}ms)`,
    );
  if (!/^\d+$/.test(value)) return; // with a unit: the toolkit's own variable
  if (!INTEGER_MS.test(value) || Number(value) < 1 || Number(value) > 3_600_000)
    throw new AppConfigError(
      `${name}=${value} is invalid: expected ${what} as milliseconds 1-3600000 without a unit (the guides' form), or a duration with a unit (redis-toolkit's, e.g. ${name}=10s)`,
    );
  out[name] = `${value}ms`;
  notes.push(
    `${name}=${value} has no unit: read as ${value}ms, the guides' unit (redis-toolkit reads a bare number as seconds: write ${name}=${value}ms)`,
  );
}

/**
 * `from` (milliseconds in the guides) feeds the toolkit's duration `to`; both set with different
 * values is a conflict, and so is `to`'s deprecated `${to}_MS` alias.
 */
function alias(env: Env, out: Env, notes: string[], from: string, to: string, what: string) {
  if (!set(env, from)) return;
  const value = guideMs(env, from, what, to);
  for (const other of [to, `${to}_MS`]) {
    if (!set(env, other)) continue;
    const given = String(env[other]).trim();
    const ms = other === to ? durationToMs(given) : Number(given);
    if (ms !== Number(value))
      throw new AppConfigError(
        `${from}=${value} conflicts with ${other}=${env[other]}: set only ${to} (the toolkit's name)`,
      );
    notes.push(`${from}=${value} is ignored: ${other} gives the same delay (remove ${from})`);
    return;
  }
  out[to] = `${value}ms`;
  notes.push(`${from}=${value} read as ${to}=${value}ms (rename it: ${from} is the guides' name)`);
}

function refuse(env: Env, name: string, instead: string) {
  if (set(env, name))
    throw new AppConfigError(`${name} is not supported by redis-toolkit: ${instead}`);
}

export function translateGuideEnv(env: Env): GuideTranslation {
  const out: Env = { ...env };
  const notes: string[] = [];

  guideTimeout(env, out, notes, 'REDIS_CONNECT_TIMEOUT', 'a connect timeout');
  // Guide 003 passes REDIS_RETRY_DELAY as the step of a retry delay capped at 2 s: the toolkit's
  // base of an exponential backoff capped by REDIS_RETRY_MAX (default 2 s) is the same knob.
  alias(env, out, notes, 'REDIS_RETRY_DELAY', 'REDIS_RETRY_BASE', 'the first retry delay');

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
        `REDIS_RETRY_STRATEGY=${JSON.stringify(env.REDIS_RETRY_STRATEGY)} is not supported: redis-toolkit always reconnects with exponential backoff and jitter; tune it with REDIS_RETRY_BASE and REDIS_RETRY_MAX`,
      );
    notes.push(
      "REDIS_RETRY_STRATEGY=exponential is the toolkit's only strategy (REDIS_RETRY_BASE / REDIS_RETRY_MAX tune it)",
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
