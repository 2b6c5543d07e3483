import { createHash } from 'node:crypto';
import type { RedisClient } from '@redis-toolkit/connection';

/**
 * Key layout (before the client's own `keyPrefix`):
 * - `{prefix}{<sid>}`            the session JSON (string, PX = cookie expiry)
 * - `{prefix}{<sid>}:destroyed`  tombstone: blocks in-flight writes after a destroy
 * - `{prefix}{<sid>}:indexed`    mark: the user index was refreshed for this session less than
 *                                `activityResolution` ago (PX = activityResolution)
 * - `{prefix}user:{<uid>}`       sorted set: session handle → expiry (ms)
 * - `{prefix}user:{<uid>}:meta`  hash: session handle → JSON {sid, createdAt, ip, userAgent, maxAge}
 * The braces are Cluster hash tags: a session, its tombstone and its mark, and a user's two index keys,
 * always share a slot, so each Lua script touches one slot.
 */
export class Keys {
  readonly keyPrefix: string;
  constructor(
    readonly prefix: string,
    client: RedisClient,
  ) {
    this.keyPrefix = clientKeyPrefix(client);
  }
  session(sid: string): string {
    return `${this.prefix}{${sid}}`;
  }
  tombstone(sid: string): string {
    return `${this.prefix}{${sid}}:destroyed`;
  }
  indexMark(sid: string): string {
    return `${this.prefix}{${sid}}:indexed`;
  }
  userIndex(userId: string): string {
    return `${this.prefix}user:{${encodeUserId(userId)}}`;
  }
  userMeta(userId: string): string {
    return `${this.userIndex(userId)}:meta`;
  }
  /** SCAN MATCH pattern for session keys only (the client's keyPrefix included; SCAN does not add it). */
  sessionPattern(): string {
    return `${escapeGlob(this.keyPrefix + this.prefix)}{*}`;
  }
  /** SCAN MATCH pattern for everything this package writes. */
  namespacePattern(): string {
    return `${escapeGlob(this.keyPrefix + this.prefix)}*`;
  }
  /** Full key from SCAN → logical key (what to hand the client, which re-adds keyPrefix). */
  logical(fullKey: string): string {
    return fullKey.startsWith(this.keyPrefix) ? fullKey.slice(this.keyPrefix.length) : fullKey;
  }
  /** Full session key from SCAN → session id, or undefined if it is not a session key. */
  sidFromFullKey(fullKey: string): string | undefined {
    const head = `${this.keyPrefix}${this.prefix}{`;
    if (!fullKey.startsWith(head) || !fullKey.endsWith('}')) return undefined;
    const sid = fullKey.slice(head.length, -1);
    return isValidSid(sid) ? sid : undefined;
  }
}

const SID = /^[A-Za-z0-9_-]{8,128}$/;
/** express-session ids (uid-safe base64url). Anything else never reaches a key. */
export function isValidSid(sid: unknown): sid is string {
  return typeof sid === 'string' && SID.test(sid);
}

/** Public handle of a session: shown to clients instead of the bearer session id. */
export function sessionHandle(sid: string): string {
  return createHash('sha256').update(sid).digest('base64url').slice(0, 22);
}

/** Injective encoding that leaves no brace, glob or separator character in a key. */
export function encodeUserId(userId: string): string {
  return encodeURIComponent(userId).replace(
    /[*!'()~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function clientKeyPrefix(client: RedisClient): string {
  const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
  return options.keyPrefix ?? options.redisOptions?.keyPrefix ?? '';
}
