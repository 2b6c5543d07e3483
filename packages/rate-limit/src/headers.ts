import { createHash } from 'node:crypto';
import type { Response } from 'express';

/** What express-rate-limit puts on `req.rateLimit` (same fields). */
export interface RateLimitInfo {
  limit: number;
  used: number;
  remaining: number;
  resetTime: Date;
  key: string;
}

// The header formats of express-rate-limit 8 (source/headers.ts), so a route answers the same
// whether it has one limiter or a combination.

const resetSeconds = (resetTime: Date): number =>
  Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000));

const partitionKey = (key: string): string =>
  Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');

export function setHeaders(
  res: Response,
  info: RateLimitInfo,
  windowMs: number,
  standard: 'draft-7' | 'draft-8',
  legacy: boolean,
  name: string,
): void {
  if (res.headersSent) return;
  const windowSeconds = Math.ceil(windowMs / 1000);
  const reset = resetSeconds(info.resetTime);
  if (legacy) {
    res.setHeader('X-RateLimit-Limit', String(info.limit));
    res.setHeader('X-RateLimit-Remaining', String(info.remaining));
    res.setHeader('Date', new Date().toUTCString());
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(info.resetTime.getTime() / 1000)));
  }
  if (standard === 'draft-7') {
    res.setHeader('RateLimit-Policy', `${info.limit};w=${windowSeconds}`);
    res.setHeader('RateLimit', `limit=${info.limit}, remaining=${info.remaining}, reset=${reset}`);
  } else {
    res.append('RateLimit', `"${name}"; r=${info.remaining}; t=${reset}`);
    res.append(
      'RateLimit-Policy',
      `"${name}"; q=${info.limit}; w=${windowSeconds}; pk=:${partitionKey(info.key)}:`,
    );
  }
}
