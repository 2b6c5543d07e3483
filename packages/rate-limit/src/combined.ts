import { isRedisUnavailable, refuseUnknownOptions, runScript } from '@redis-toolkit/connection';
import type { NextFunction, Request, Response } from 'express';
import type { RawDecision } from './backend.js';
import { combinedArgs, fallbackDecide, type Outcome } from './combined-decide.js';
import { configError, RateLimitUnavailableError } from './errors.js';
import { type RateLimitInfo, setHeaders } from './headers.js';
import { type HttpLimit, httpLimitOf } from './http-config.js';
import type {
  CombinedRateLimitMiddleware,
  CombineLimitsOptions,
  RateLimitMiddleware,
} from './http-types.js';
import { combinedScript } from './lua/combined.js';
import { errorBody, limitedBody, seconds } from './responses.js';

const OPTION_NAMES = ['requestPropertyName', 'standardHeaders', 'legacyHeaders'] as const;

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

function sameKeyBy(a: HttpLimit, b: HttpLimit): boolean {
  if (a.keyBy === 'ip' && b.keyBy === 'ip') return a.ipv6Subnet === b.ipv6Subnet;
  return a.keyBy === b.keyBy;
}

function checkLimits(limits: readonly RateLimitMiddleware[]): HttpLimit[] {
  if (!Array.isArray(limits) || limits.length === 0) {
    throw configError(
      'limits',
      'combineLimits needs a non-empty array of createRateLimiter() middlewares',
    );
  }
  const resolved = limits.map((m, i) => {
    const h = httpLimitOf(m);
    if (!h) throw configError(`limits[${i}]`, 'not a middleware from createRateLimiter()');
    return h;
  });
  const first = resolved[0]!;
  const names = new Set<string>();
  resolved.forEach((h, i) => {
    if (h.limiter.resolved.runtime !== first.limiter.resolved.runtime) {
      throw configError(`limits[${i}]`, 'every combined limit must use the same `redis` client');
    }
    if (!sameKeyBy(h, first)) {
      // one client key = one hash tag: on a Cluster all keys of the call must be in one slot
      throw configError(
        `limits[${i}]`,
        'every combined limit must use the same keyBy (and ipv6Subnet) as the first',
      );
    }
    if (names.has(h.limiter.keyFor(''))) {
      throw configError(
        `limits[${i}]`,
        `limit "${h.limiter.name}" appears twice (same name and prefix)`,
      );
    }
    names.add(h.limiter.keyFor(''));
  });
  return resolved;
}

/** The limit whose headers the response carries: a refusing one (longest wait), else the fewest left. */
function mostRestrictive(outcomes: Outcome[]): Outcome {
  let pick = outcomes[0]!;
  for (const o of outcomes) {
    const p = pick.decision;
    const d = o.decision;
    if (!d.allowed && (p.allowed || d.retryAfterMs > p.retryAfterMs)) pick = o;
    else if (
      d.allowed &&
      p.allowed &&
      (d.remaining < p.remaining || (d.remaining === p.remaining && d.resetAt > p.resetAt))
    )
      pick = o;
  }
  return pick;
}

/**
 * Several limits of one route (e.g. global + API) as one middleware: one EVALSHA per request
 * evaluates all of them atomically; a request refused by one consumes none. See README,
 * "Several limits on one route".
 */
export function combineLimits(
  limits: readonly RateLimitMiddleware[],
  options: CombineLimitsOptions = {},
): CombinedRateLimitMiddleware {
  refuseUnknownOptions(options, OPTION_NAMES, configError);
  const all = checkLimits(limits);
  const first = all[0]!;
  const property = options.requestPropertyName ?? 'rateLimit';
  if (typeof property !== 'string' || property.length === 0) {
    throw configError('requestPropertyName', 'requestPropertyName must be a non-empty string');
  }
  const standard = options.standardHeaders ?? first.standardHeaders;
  if (standard !== 'draft-7' && standard !== 'draft-8') {
    throw configError('standardHeaders', `standardHeaders must be 'draft-7' or 'draft-8'`);
  }
  const legacy = options.legacyHeaders ?? first.legacyHeaders;
  const runtime = first.limiter.resolved.runtime;
  const timeoutMs = Math.max(...all.map((h) => h.limiter.resolved.commandTimeoutMs));
  const anySkip = all.some((h) => h.skip);

  const viaRedis = (active: HttpLimit[], key: string): Promise<Outcome[] | undefined> => {
    const { keys, args } = combinedArgs(active, key);
    return runScript(runtime!, combinedScript(keys.length), keys, args, timeoutMs).then(
      (reply) => {
        if (!Array.isArray(reply)) throw new TypeError('rate-limit: unexpected script reply');
        const all = num(reply[0]) === 1;
        return active.map((h, i) => {
          const k = 1 + i * 4;
          const allowed = num(reply[k]) === 1;
          const raw: RawDecision = {
            allowed,
            used: num(reply[k + 1]),
            resetInMs: num(reply[k + 2]),
            retryAfterMs: allowed ? 0 : num(reply[k + 3]),
          };
          // a refused request counted nowhere: only the refusing limits record a block
          const decision = h.limiter.recordDecision('increment', raw, all || !allowed);
          return { limit: h, decision, counted: all };
        });
      },
      (error: unknown) => {
        if (!isRedisUnavailable(error) || error.reason !== 'outage') {
          for (const h of active) h.limiter.recordError('increment', error);
        }
        if (!isRedisUnavailable(error)) throw error;
        return undefined;
      },
    );
  };

  const respond = async (
    req: Request,
    res: Response,
    next: NextFunction,
    key: string,
    outcomes: Outcome[],
  ) => {
    const denied = outcomes.find((o) => o.decision.source === 'policy' && !o.decision.allowed);
    if (denied) {
      res.status(denied.limit.denyStatusCode);
      res.setHeader('Retry-After', seconds(denied.decision.retryAfterMs));
      res.json(errorBody(RateLimitUnavailableError.code, denied.limit.unavailableMessage));
      return;
    }
    const shown = outcomes.filter((o) => o.decision.source !== 'policy');
    if (shown.length === 0) {
      next();
      return;
    }
    const pick = mostRestrictive(shown);
    const d = pick.decision;
    const info: RateLimitInfo = {
      limit: d.limit,
      used: d.used,
      remaining: d.remaining,
      resetTime: new Date(d.resetAt),
      key,
    };
    (req as unknown as Record<string, unknown>)[property] = info;
    setHeaders(res, info, pick.limit.limiter.windowMs, standard, legacy, pick.limit.limiter.name);
    if (!d.allowed) {
      res.setHeader('Retry-After', seconds(d.retryAfterMs));
      res.status(pick.limit.statusCode);
      const body = await limitedBody(pick.limit.message, req, res);
      if (!res.writableEnded) res.json(body);
      return;
    }
    const refundable = outcomes.filter(
      (o) => o.counted && (o.limit.skipFailedRequests || o.limit.skipSuccessfulRequests),
    );
    if (refundable.length) {
      let settled = false;
      const settle = (failed: boolean) => {
        if (settled) return;
        settled = true;
        for (const o of refundable) {
          if (failed ? o.limit.skipFailedRequests : o.limit.skipSuccessfulRequests) {
            o.limit.limiter.refund(key).catch(() => {
              // best effort, as express-rate-limit's decrement (the refund counts its own error)
            });
          }
        }
      };
      res.once('finish', () => settle(res.statusCode >= 400));
      res.once('close', () => {
        if (!res.writableEnded) settle(true);
      });
    }
    next();
  };

  const run = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    let active = all;
    if (anySkip) {
      const skipped = await Promise.all(all.map((h) => (h.skip ? h.skip(req, res) : false)));
      active = all.filter((_, i) => !skipped[i]);
      if (active.length === 0) return next();
    }
    const key = await first.key(req, res);
    let outcomes: Outcome[] | undefined;
    if (runtime?.available) outcomes = await viaRedis(active, key);
    outcomes ??= await fallbackDecide(active, key);
    await respond(req, res, next, key, outcomes);
  };

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    run(req, res, next).catch(next);
  };
  return Object.assign(middleware, {
    limiters: all.map((h) => h.limiter) as CombinedRateLimitMiddleware['limiters'],
  });
}
