import type { Request, Response } from 'express';
import type { KeyBy, Message, RateLimitMiddleware } from './http-types.js';
import type { LimiterImpl } from './limiter.js';

/** What `createRateLimiter` resolved, kept so `combineLimits` can run the same limit itself. */
export interface HttpLimit {
  limiter: LimiterImpl;
  keyBy: KeyBy;
  ipv6Subnet: number;
  key: (req: Request, res: Response) => string | Promise<string>;
  skip: ((req: Request, res: Response) => boolean | Promise<boolean>) | undefined;
  skipSuccessfulRequests: boolean;
  skipFailedRequests: boolean;
  message: Message;
  unavailableMessage: string;
  statusCode: number;
  denyStatusCode: 429 | 503;
  standardHeaders: 'draft-7' | 'draft-8';
  legacyHeaders: boolean;
}

const registry = new WeakMap<RateLimitMiddleware, HttpLimit>();

export const registerHttpLimit = (middleware: RateLimitMiddleware, limit: HttpLimit): void => {
  registry.set(middleware, limit);
};

export const httpLimitOf = (middleware: unknown): HttpLimit | undefined =>
  typeof middleware === 'function' ? registry.get(middleware as RateLimitMiddleware) : undefined;
