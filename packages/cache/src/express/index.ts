import { createHash } from 'node:crypto';
import { type Duration, encodeKeySegment, refuseUnknownOptions } from '@redis-toolkit/connection';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Cache, GetMeta } from '../cache.js';
import { CacheConfigError } from '../errors.js';
import { ms } from '../options/resolve.js';

/** What is stored for one response. */
interface StoredResponse {
  s: number;
  b: string;
  ct: string;
  et: string;
  /** logical expiry (ms since epoch); after it and within grace the response is STALE-if-error */
  x: number;
}

type PerRequest<T> = T | ((req: Request) => T);

export interface CacheResponseOptions {
  /** The cache (or a namespace of it). Responses live under its `http:` namespace. */
  cache: Cache;
  /** How long a response is fresh. */
  ttl: Duration;
  /** After ttl, keep the response this long and serve it (X-Cache: STALE) when the handler answers 5xx. Default 0. */
  grace?: Duration;
  /** Key for a request. Default: path + query string sorted by name. */
  key?: (req: Request) => string;
  /**
   * Who the response is for, e.g. `(req) => req.user?.id`. It becomes part of the key, so one
   * user's response is never served to another; only then are responses with Set-Cookie or
   * Cache-Control private/no-store cached. Returning undefined means "shared".
   */
  varyBy?: (req: Request) => string | number | undefined | null;
  /** Tags stored with the response (for `cache.invalidateTags` / `invalidate({ tags })`). */
  tags?: PerRequest<readonly string[]>;
}

const RESPONSE_OPTIONS = ['cache', 'ttl', 'grace', 'key', 'varyBy', 'tags'];
const configError = (field: string, message: string) => new CacheConfigError(field, message);

function resolve<T>(value: PerRequest<T> | undefined, req: Request): T | undefined {
  return typeof value === 'function' ? (value as (req: Request) => T)(req) : value;
}

/** Letters, digits, `/`, `-`, `_` and `~` only: nothing URL parsing would decode, resolve or reorder. */
const PLAIN_PATH = /^\/[A-Za-z0-9/_~-]*$/;

/** `/patients?b=2&a=1` → `/patients` + `a=1&b=2` (order of query parameters never splits the cache). */
export function normalizedPathAndQuery(req: Request): { path: string; query: string } {
  const raw = req.originalUrl || req.url;
  // A path of plain characters and no query is its own normal form (what URL parsing would give):
  // the common case skips the parse and the sort.
  if (PLAIN_PATH.test(raw)) return { path: raw, query: '' };
  const url = new URL(raw, 'http://x');
  const params = [...url.searchParams.entries()].sort(([a, av], [b, bv]) =>
    a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
  );
  return { path: url.pathname, query: new URLSearchParams(params).toString() };
}

/** Key of a path's responses; `invalidate({ paths })` deletes `${responsePathKey(path)}:*`. */
export function responsePathKey(path: string): string {
  return encodeKeySegment(path);
}

function requestKey(req: Request, options: CacheResponseOptions): { key: string; varied: boolean } {
  let base: string;
  if (options.key) base = encodeKeySegment(options.key(req));
  else {
    const { path, query } = normalizedPathAndQuery(req);
    base = `${responsePathKey(path)}:${encodeKeySegment(query)}`;
  }
  const who = options.varyBy?.(req);
  const varied = who !== undefined && who !== null && who !== '';
  return { key: `${base}:${varied ? `u=${encodeKeySegment(String(who))}` : 'shared'}`, varied };
}

function etagOf(body: string): string {
  return `W/"${createHash('sha1').update(body).digest('base64url')}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

function reply(
  req: Request,
  res: Response,
  stored: StoredResponse,
  state: 'HIT' | 'MISS' | 'STALE',
): void {
  res.setHeader('X-Cache', state);
  res.setHeader('ETag', stored.et);
  if (matches(req.headers['if-none-match'], stored.et)) {
    res.status(304).end();
    return;
  }
  res.status(stored.s).type(stored.ct);
  if (req.method === 'HEAD') res.setHeader('Content-Length', Buffer.byteLength(stored.b)).end();
  else res.send(stored.b);
}

function isPrivate(res: Response): boolean {
  if (res.getHeader('set-cookie') !== undefined) return true;
  const cc = String(res.getHeader('cache-control') ?? '').toLowerCase();
  return /\b(private|no-store)\b/.test(cc);
}

export interface CacheResponseHandler extends RequestHandler {
  /**
   * Starts the cached response's read at once, for the handler further down to take: mount it
   * ahead of what runs before the route (a rate limiter, the session), e.g.
   * `app.get('/staff', staffCache.prefetch)`, and their commands leave in one write. The read is
   * taken only for the same key and tags; the route's own checks still decide whether it is
   * served. Does nothing with `varyBy` (its user is known only later) or for other methods.
   */
  readonly prefetch: RequestHandler;
}

interface EarlyRead {
  key: string;
  /** The URL it was keyed from. */
  url: string;
  tags: string;
  read: Promise<GetMeta<StoredResponse>>;
}

const tagList = (tags: readonly string[] | undefined): string => (tags ? tags.join('\n') : '');
const noop = (): void => {};

/**
 * Caches GET/HEAD JSON responses: `X-Cache: HIT | MISS | STALE`, ETag + If-None-Match → 304,
 * query parameters sorted in the key. Never caches non-2xx responses, nor responses with
 * Set-Cookie or Cache-Control private/no-store unless `varyBy` names the user.
 */
export function cacheResponse(options: CacheResponseOptions): CacheResponseHandler {
  refuseUnknownOptions(options, RESPONSE_OPTIONS, configError);
  const ttlMs = ms(options.ttl, 'ttl', 0);
  if (!(ttlMs > 0)) throw new CacheConfigError('ttl', 'expected a positive duration');
  const graceMs = ms(options.grace, 'grace', 0);
  const store = options.cache.namespace('http');
  // the tags' invalidation times are read with the entry: a hit is one round trip
  const read = (key: string, expected: readonly string[] | undefined) =>
    store.getWithMeta<StoredResponse>(key, expected ? { tags: expected } : undefined);
  // keyed by request: a read nobody takes goes with its request
  const early = new WeakMap<Request, EarlyRead>();
  const prefetch: RequestHandler = (req, _res, next) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && !options.varyBy && !early.has(req)) {
      const { key } = requestKey(req, options);
      const expected = resolve(options.tags, req);
      const started = read(key, expected);
      // observed here too: a request answered before the route never takes it
      started.catch(noop);
      early.set(req, {
        key,
        url: req.originalUrl || req.url,
        tags: tagList(expected),
        read: started,
      });
    }
    next();
  };
  const handler = (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    const taken = early.get(req);
    if (taken !== undefined) early.delete(req);
    // the prefetch keyed this very URL (no `key` function, no `varyBy`): its key stands
    const { key, varied } =
      taken !== undefined && !options.key && taken.url === (req.originalUrl || req.url)
        ? { key: taken.key, varied: false }
        : requestKey(req, options);
    const expected = resolve(options.tags, req);
    const reading =
      taken !== undefined && taken.key === key && taken.tags === tagList(expected)
        ? taken.read
        : read(key, expected);
    reading
      .then(
        ({ value: stored, source }) => {
          const now = Date.now();
          // an outage serves the memory copy of what Redis held: no handler run, no stampede
          if (stored && source === 'stale') return reply(req, res, stored, 'STALE');
          if (stored && stored.x > now) return reply(req, res, stored, 'HIT');
          const stale = stored && stored.x <= now ? stored : undefined;
          const json = res.json.bind(res);
          res.json = (body: unknown): Response => {
            const ok = res.statusCode >= 200 && res.statusCode < 300;
            if (!ok && stale && res.statusCode >= 500) {
              reply(req, res, stale, 'STALE');
              return res;
            }
            if (!ok || (!varied && isPrivate(res))) {
              res.setHeader('X-Cache', 'BYPASS');
              return json(body);
            }
            const text = JSON.stringify(body) ?? 'null';
            const entry: StoredResponse = {
              s: res.statusCode,
              b: text,
              ct: String(res.getHeader('content-type') ?? 'application/json; charset=utf-8'),
              et: etagOf(text),
              x: Date.now() + ttlMs,
            };
            const tags = resolve(options.tags, req);
            void store
              .set(key, entry, { ttl: (ttlMs + graceMs) / 1000, ...(tags ? { tags } : {}) })
              .catch(() => {});
            reply(req, res, entry, 'MISS');
            return res;
          };
          next();
        },
        () => next(),
      )
      .catch((error: unknown) => {
        if (!res.headersSent) next(error);
      });
  };
  return Object.assign(handler, { prefetch });
}

export interface InvalidateOptions {
  cache: Cache;
  /** Tags to invalidate after a successful (2xx) response. */
  tags?: PerRequest<readonly string[]>;
  /** Paths whose cached responses (any query, any user) are deleted after a 2xx response. */
  paths?: PerRequest<readonly string[]>;
}

/** For write routes: after a 2xx response, invalidates the given tags and cached paths. */
export function invalidate(options: InvalidateOptions): RequestHandler {
  refuseUnknownOptions(options, ['cache', 'tags', 'paths'], configError);
  const store = options.cache.namespace('http');
  return (req: Request, res: Response, next: NextFunction): void => {
    res.on('finish', () => {
      if (res.statusCode < 200 || res.statusCode >= 300) return;
      const tags = resolve(options.tags, req);
      const paths = resolve(options.paths, req);
      if (tags && tags.length > 0) void options.cache.invalidateTags(tags).catch(() => {});
      for (const path of paths ?? [])
        void store.deleteByPattern(`${responsePathKey(path)}:*`).catch(() => {});
    });
    next();
  };
}

/** Awaitable form of `invalidate` for use inside a handler, before it responds. Returns Redis keys deleted. */
export async function invalidateResponses(
  cache: Cache,
  { tags, paths }: { tags?: readonly string[]; paths?: readonly string[] },
): Promise<number> {
  if (tags && tags.length > 0) await cache.invalidateTags(tags);
  let n = 0;
  const store = cache.namespace('http');
  for (const path of paths ?? []) n += await store.deleteByPattern(`${responsePathKey(path)}:*`);
  return n;
}
