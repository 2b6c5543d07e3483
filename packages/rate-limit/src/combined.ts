import { isRedisUnavailable, refuseUnknownOptions, runScript } from '@redis-toolkit/connection';
import type { NextFunction, Request, Response } from 'express';
import type { RawDecision } from './backend.js';
import {
  combinedArgs,
  fallbackDecide,
  fallbackStacked,
  type Outcome,
  stackedArgs,
} from './combined-decide.js';
import { decidedOn, markDecided } from './decided.js';
import { configError, RateLimitUnavailableError } from './errors.js';
import { type RateLimitInfo, setHeaders } from './headers.js';
import { type HttpLimit, httpLimitOf } from './http-config.js';
import type {
  CombinedRateLimitMiddleware,
  CombineLimitsOptions,
  RateLimitMiddleware,
} from './http-types.js';
import { combinedScript } from './lua/combined.js';
import { stackedScript } from './lua/stacked.js';
import { errorBody, limitedBody, limitedBodyOf, seconds } from './responses.js';
import type { RateLimitDecision } from './types.js';

const OPTION_NAMES = [
  'requestPropertyName',
  'standardHeaders',
  'legacyHeaders',
  'counting',
] as const;

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

/** Answers a request from its limits' outcomes (or passes it on). */
type Respond = (
  req: Request,
  res: Response,
  next: NextFunction,
  key: string,
  outcomes: Outcome[],
) => void;

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

const policyDenied = (res: Response, o: Outcome): void => {
  res.status(o.limit.denyStatusCode);
  res.setHeader('Retry-After', seconds(o.decision.retryAfterMs));
  res.json(errorBody(RateLimitUnavailableError.code, o.limit.unavailableMessage));
};

const infoOf = (d: RateLimitDecision, key: string): RateLimitInfo => ({
  limit: d.limit,
  used: d.used,
  remaining: d.remaining,
  resetTime: new Date(d.resetAt),
  key,
});

function refused(req: Request, res: Response, next: NextFunction, o: Outcome): void {
  res.setHeader('Retry-After', seconds(o.decision.retryAfterMs));
  res.status(o.limit.statusCode);
  if (typeof o.limit.message !== 'function') {
    res.json(limitedBody(o.limit.message));
    return;
  }
  limitedBodyOf(o.limit.message, req, res).then((body) => {
    if (!res.writableEnded) res.json(body);
  }, next);
}

/**
 * express-rate-limit's decrement rules for one stacked limit: `skipFailedRequests` undoes the hit
 * when the response finishes with status >= 400, closes before it ends, or errors;
 * `skipSuccessfulRequests` when it finishes below 400; never after the window has reset.
 */
function undoLater(res: Response, o: Outcome, key: string): void {
  const { skipFailedRequests, skipSuccessfulRequests, limiter } = o.limit;
  let undone = false;
  const undo = () => {
    if (undone) return;
    undone = true;
    if (Date.now() >= o.decision.resetAt) return;
    limiter.unhit(key).catch(() => {
      // best effort, as express-rate-limit's decrement (the limiter counts its own error)
    });
  };
  res.once('finish', () => {
    const failed = res.statusCode >= 400;
    if (failed ? skipFailedRequests : skipSuccessfulRequests) undo();
  });
  if (skipFailedRequests) {
    res.once('close', () => {
      if (!res.writableEnded) undo();
    });
    res.once('error', undo);
  }
}

/**
 * Several limits of one route (e.g. global + API) as one middleware: one EVALSHA per request
 * evaluates all of them atomically. `counting: 'all-or-nothing'` (default): a request refused by
 * one consumes none; `'stacked'`: exactly what the same limits do as separate middlewares, in
 * order. See README, "Several limits on one route".
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
  const counting = options.counting ?? 'all-or-nothing';
  if (counting !== 'all-or-nothing' && counting !== 'stacked') {
    throw configError('counting', `counting must be 'all-or-nothing' or 'stacked'`);
  }
  const stacked = counting === 'stacked';
  const standard = options.standardHeaders;
  if (standard !== undefined && standard !== 'draft-7' && standard !== 'draft-8') {
    throw configError('standardHeaders', `standardHeaders must be 'draft-7' or 'draft-8'`);
  }
  const legacy = options.legacyHeaders;
  const runtime = first.limiter.resolved.runtime;
  const timeoutMs = Math.max(...all.map((h) => h.limiter.resolved.commandTimeoutMs));
  const anySkip = all.some((h) => h.skip);

  const decode = (active: HttpLimit[], reply: unknown): Outcome[] => {
    if (!Array.isArray(reply)) throw new TypeError('rate-limit: unexpected script reply');
    // all-or-nothing: { all admitted, 4 per limit } · stacked: { limits evaluated, 4 per evaluated limit }
    const evaluated = stacked ? num(reply[0]) : active.length;
    // all-or-nothing: a refused request counted nowhere, only the refusing limits record a block
    const counted = stacked || num(reply[0]) === 1;
    const outcomes: Outcome[] = [];
    for (let i = 0; i < evaluated; i++) {
      const h = active[i]!;
      const k = 1 + i * 4;
      const allowed = num(reply[k]) === 1;
      const raw: RawDecision = {
        allowed,
        used: num(reply[k + 1]),
        resetInMs: num(reply[k + 2]),
        retryAfterMs: allowed ? 0 : num(reply[k + 3]),
      };
      const decision = h.limiter.recordDecision('increment', raw, counted || !allowed);
      outcomes.push({ limit: h, decision, counted });
    }
    return outcomes;
  };

  const viaRedis = (active: HttpLimit[], key: string): Promise<unknown> => {
    const { keys, args } = stacked ? stackedArgs(active, key) : combinedArgs(active, key);
    const script = stacked ? stackedScript(active.length) : combinedScript(keys.length);
    return runScript(runtime!, script, keys, args, timeoutMs);
  };

  const headers = (res: Response, o: Outcome, info: RateLimitInfo): void => {
    const l = o.limit;
    const std = standard ?? (stacked ? l.standardHeaders : first.standardHeaders);
    const leg = legacy ?? (stacked ? l.legacyHeaders : first.legacyHeaders);
    setHeaders(res, info, l.limiter.windowMs, std, leg, l.limiter.name);
  };

  // draft-7 and legacy headers are set, not appended: with those on every limit, each evaluated
  // limit's headers (and `req[property]`) replace the one's before, as stacked middlewares do, so
  // only the last one's are written. draft-8 entries are appended: each limit writes its own.
  const lastOneShows =
    stacked &&
    all.every(
      (h) =>
        (standard ?? h.standardHeaders) === 'draft-7' &&
        (legacy ?? h.legacyHeaders) === (legacy ?? first.legacyHeaders),
    );

  /** One limit's outcome on the request (`req[property]`) and in the response headers. */
  const show = (req: Request, res: Response, key: string, o: Outcome): void => {
    const info = infoOf(o.decision, key);
    (req as unknown as Record<string, unknown>)[property] = info;
    headers(res, o, info);
  };

  /** As the stacked middlewares would answer, one after the other. */
  const respondStacked: Respond = (req, res, next, key, outcomes) => {
    let last: Outcome | undefined;
    const showLast = () => {
      if (last) show(req, res, key, last);
    };
    for (const o of outcomes) {
      const d = o.decision;
      if (d.source === 'policy') {
        if (!d.allowed) {
          showLast();
          policyDenied(res, o);
          return;
        }
        continue; // 'allow': passes without headers, as createRateLimiter
      }
      if (lastOneShows) last = o;
      else show(req, res, key, o);
      if (o.counted && (o.limit.skipFailedRequests || o.limit.skipSuccessfulRequests)) {
        undoLater(res, o, key);
      }
      if (!d.allowed) {
        showLast();
        refused(req, res, next, o);
        return;
      }
    }
    showLast();
    next();
  };

  const respondAllOrNothing: Respond = (req, res, next, key, outcomes) => {
    const denied = outcomes.find((o) => o.decision.source === 'policy' && !o.decision.allowed);
    if (denied) {
      policyDenied(res, denied);
      return;
    }
    const shown = outcomes.filter((o) => o.decision.source !== 'policy');
    if (shown.length === 0) {
      next();
      return;
    }
    const pick = mostRestrictive(shown);
    show(req, res, key, pick);
    if (!pick.decision.allowed) {
      refused(req, res, next, pick);
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
  const respond = stacked ? respondStacked : respondAllOrNothing;
  const fallback = stacked ? fallbackStacked : fallbackDecide;

  // One promise hop on the common path (the script's reply decoded and answered in one callback):
  // each `.then` layer is a microtask and a promise per request.
  const decide = (
    req: Request,
    res: Response,
    next: NextFunction,
    active: HttpLimit[],
    key: string,
  ): void => {
    const byPolicy = () =>
      fallback(active, key)
        .then((o) => respond(req, res, next, key, o))
        .catch(next);
    if (!runtime?.available) {
      byPolicy();
      return;
    }
    viaRedis(active, key).then(
      (reply) => {
        try {
          respond(req, res, next, key, decode(active, reply));
        } catch (error) {
          next(error);
        }
      },
      (error: unknown) => {
        if (!isRedisUnavailable(error) || error.reason !== 'outage') {
          for (const h of active) h.limiter.recordError('increment', error);
        }
        if (!isRedisUnavailable(error)) {
          next(error);
          return;
        }
        byPolicy();
      },
    );
  };

  const start = (req: Request, res: Response, next: NextFunction, active: HttpLimit[]): void => {
    if (active.length === 0) {
      next();
      return;
    }
    for (const h of active) markDecided(req, h.limiter);
    const key = first.key(req, res);
    if (typeof key === 'string') decide(req, res, next, active, key);
    else key.then((k) => decide(req, res, next, active, k), next);
  };

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    let active = all;
    const done = decidedOn(req);
    if (done) active = active.filter((h) => !done.includes(h.limiter));
    if (!anySkip) {
      start(req, res, next, active);
      return;
    }
    // skips that answer at once (the usual case) decide without a promise
    let pending = false;
    const skipped = active.map((h) => {
      const answer = h.skip ? h.skip(req, res) : false;
      if (typeof answer !== 'boolean') pending = true;
      return answer;
    });
    const unskipped = (answers: readonly boolean[]) => active.filter((_, i) => !answers[i]);
    if (!pending) {
      start(req, res, next, unskipped(skipped as boolean[]));
      return;
    }
    Promise.all(skipped).then((answers) => start(req, res, next, unskipped(answers)), next);
  };
  return Object.assign(middleware, {
    limiters: all.map((h) => h.limiter) as CombinedRateLimitMiddleware['limiters'],
  });
}
