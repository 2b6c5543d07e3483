import type { SessionData } from 'express-session';

/** What the user index keeps per session (hash field value). */
export interface IndexMeta {
  sid: string;
  createdAt: number;
  maxAge: number;
  ip?: string;
  userAgent?: string;
}

/** A session object from JSON, or null when the value is not a session (no `cookie` object). */
export function decodeSession(raw: string): SessionData | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const cookie = (value as { cookie?: unknown }).cookie;
  if (typeof cookie !== 'object' || cookie === null || Array.isArray(cookie)) return null;
  return value as SessionData;
}

export function decodeMeta(raw: string): IndexMeta | null {
  try {
    const meta = JSON.parse(raw) as Partial<IndexMeta>;
    if (
      typeof meta.sid !== 'string' ||
      typeof meta.createdAt !== 'number' ||
      typeof meta.maxAge !== 'number'
    )
      return null;
    return meta as IndexMeta;
  } catch {
    return null;
  }
}

export function userIdIn(session: SessionData | null | undefined): string | undefined {
  const userId = session?.auth?.userId;
  return typeof userId === 'string' ? userId : undefined;
}

/**
 * Milliseconds the session has left: from `cookie.expires` when it is a real date, else the
 * store's ttl. An unparsable expiry (`Invalid Date`) counts as "none given": it must never turn
 * into `PX NaN`, which Redis refuses.
 */
export function ttlOf(session: SessionData, defaultTtlMs: number): number {
  const expires = session.cookie?.expires;
  if (expires) {
    const at = new Date(expires).getTime();
    if (Number.isFinite(at)) return Math.round(at - Date.now());
  }
  return defaultTtlMs;
}

export function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}
