import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { ZodType } from 'zod';
import { z } from './zod.js';

/**
 * Every error the app sends: `{ error: { code, message } }` (errors.ts, the limiters, the session
 * store, the token blacklist). Codes are `E_<AREA>_<WHAT>`: `E_API_…` for the app's own,
 * `E_RATELIMIT_…`, `E_SESSION_…`, `E_BLACKLIST_…` from the packages.
 */
export const ErrorBody = z
  .strictObject({
    error: z.strictObject({
      code: z
        .string()
        .regex(/^E_[A-Z0-9_]+$/)
        .openapi({ example: 'E_API_VALIDATION_FAILED' }),
      message: z.string().openapi({ example: 'Invalid params: id: expected number' }),
    }),
  })
  .openapi('Error');

export const isoDateTime = z.iso.datetime({ offset: true });
export const int = z.number().int();

export const json = (schema: ZodType) => ({ 'application/json': { schema } });

const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** Reusable response headers, registered once as components. */
export function registerHeaders(registry: OpenAPIRegistry): void {
  registry.registerComponent('headers', 'XCache', {
    description:
      "Whether the database was asked: MISS (loaded and stored), HIT (from the cache), STALE (a value past its TTL within its grace after a loader failure, or — while Redis is unavailable — this instance's copy), BYPASS (caching off: CACHE_ENABLED=false)",
    schema: { type: 'string', enum: ['HIT', 'MISS', 'STALE', 'BYPASS'] },
  });
  registry.registerComponent('headers', 'XCacheResponse', {
    description:
      'Response cache state: HIT, MISS, STALE (the handler failed and a stored response within its grace period was served), BYPASS (caching off)',
    schema: { type: 'string', enum: ['HIT', 'MISS', 'STALE', 'BYPASS'] },
  });
  registry.registerComponent('headers', 'RetryAfter', {
    description: 'Seconds to wait before retrying',
    schema: { type: 'string', pattern: '^\\d+$' },
  });
  registry.registerComponent('headers', 'RateLimit', {
    description: 'IETF draft-7 combined rate-limit header (`limit=…, remaining=…, reset=…`)',
    schema: { type: 'string' },
  });
  registry.registerComponent('headers', 'RateLimitPolicy', {
    description: 'IETF draft-7 rate-limit policy (`<limit>;w=<window seconds>`)',
    schema: { type: 'string' },
  });
  registry.registerComponent('headers', 'WWWAuthenticate', {
    description: 'Bearer challenge',
    schema: { type: 'string' },
  });
  registry.registerComponent('headers', 'ETag', {
    description: 'Weak validator of the cached response; send it back as If-None-Match',
    schema: { type: 'string' },
  });
}

export const headers = {
  xCache: { 'X-Cache': headerRef('XCache') },
  xCacheResponse: { 'X-Cache': headerRef('XCacheResponse'), ETag: headerRef('ETag') },
  retryAfter: { 'Retry-After': headerRef('RetryAfter') },
  wwwAuthenticate: { 'WWW-Authenticate': headerRef('WWWAuthenticate') },
} as const;

export const SECURITY = {
  bearer: 'bearerAuth',
  cookie: 'careSession',
  dentalCookie: 'dentalSession',
} as const;

export function registerSecuritySchemes(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', SECURITY.bearer, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Access token from POST /school/auth/login or /school/auth/refresh (15 minutes)',
  });
  registry.registerComponent('securitySchemes', SECURITY.cookie, {
    type: 'apiKey',
    in: 'cookie',
    name: 'care.sid',
    description: 'Signed session cookie set by POST /care/auth/login (7 days)',
  });
  registry.registerComponent('securitySchemes', SECURITY.dentalCookie, {
    type: 'apiKey',
    in: 'cookie',
    name: 'dental.sid',
    description:
      'Signed staff session cookie set by POST /dental/auth/login (12 hours). State-changing requests also send the token from GET /csrf-token in X-CSRF-Token.',
  });
}

/** A JSON success response, with the cache header when the route reads through a cache. */
export const ok = (
  description: string,
  schema: ZodType,
  extra: Pick<ResponseConfig, 'headers'> = {},
): ResponseConfig => ({ description, content: json(schema), ...extra });

export const noContent = (description: string): ResponseConfig => ({ description });

type ErrorStatus = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 422 | 429 | 500 | 503;

const errorHeaders: Partial<Record<ErrorStatus, ResponseConfig['headers']>> = {
  429: {
    ...headers.retryAfter,
    RateLimit: headerRef('RateLimit'),
    'RateLimit-Policy': headerRef('RateLimitPolicy'),
  },
  503: headers.retryAfter,
};

/** Error responses, all with the `Error` body; `description` says when each one happens. */
export function errors(
  described: Partial<Record<ErrorStatus, string>>,
): Record<string, ResponseConfig> {
  return Object.fromEntries(
    Object.entries(described).map(([status, description]) => {
      const extra = errorHeaders[Number(status) as ErrorStatus];
      return [
        status,
        {
          description: description ?? '',
          content: json(ErrorBody),
          ...(extra ? { headers: extra } : {}),
        },
      ];
    }),
  );
}

/** What any route behind the global and `api` limiters can answer besides its own responses. */
export const RATE_LIMITED = {
  429: 'Rate limited (`E_RATELIMIT_LIMITED`); `Retry-After` says when to try again',
  500: 'Unexpected server error (`E_API_INTERNAL_ERROR`); details stay in the log',
  503: 'Rate-limit store unreachable with RATE_LIMIT_ON_REDIS_ERROR=deny (`E_RATELIMIT_UNAVAILABLE`)',
} as const;

export const INVALID_BODY =
  'Invalid body (`E_API_VALIDATION_FAILED` names the field, `E_API_BAD_REQUEST` for malformed JSON)';
/** What any route that reads a JSON body can also answer. */
export const BODY_LIMITS = {
  408: 'The body did not arrive within REQUEST_TIMEOUT (`E_API_REQUEST_TIMEOUT`)',
  413: 'Body over 100 kB',
} as const;
