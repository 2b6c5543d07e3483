import { createHash } from 'node:crypto';
import { escapeGlob, hashTag } from '@redis-toolkit/connection';

/** A session's tombstone, from the session's key (the caller has it already: no second hashTag). */
export const tombstoneOf = (sessionKey: string): string => `${sessionKey}:destroyed`;

/** A session's index mark, from the session's key. */
export const markOf = (sessionKey: string): string => `${sessionKey}:indexed`;

/**
 * Key layout, `ns` = `{prefix}session:` (before the client's own `keyPrefix`):
 * - `ns{<sid>}`             the session JSON (string, PX = cookie expiry)
 * - `ns{<sid>}:destroyed`   tombstone: blocks in-flight writes after a destroy
 * - `ns{<sid>}:indexed`     mark: the user index was refreshed less than `activityResolution` ago
 * - `nsuser:{<uid>}`        sorted set: session handle → expiry (ms)
 * - `nsuser:{<uid>}:meta`   hash: session handle → JSON {sid, createdAt, ip, userAgent, maxAge}
 * The braces are Cluster hash tags: a session, its tombstone and its mark, and a user's two index
 * keys, share a slot, so each script touches one slot.
 */
export class Keys {
  constructor(readonly namespace: string) {}
  session(sid: string): string {
    return `${this.namespace}${hashTag(sid)}`;
  }
  tombstone(sid: string): string {
    return tombstoneOf(this.session(sid));
  }
  indexMark(sid: string): string {
    return markOf(this.session(sid));
  }
  userIndex(userId: string): string {
    return `${this.namespace}user:${hashTag(userId)}`;
  }
  userMeta(userId: string): string {
    return `${this.userIndex(userId)}:meta`;
  }
  /** SCAN pattern (logical keys) for session keys only. */
  sessionPattern(): string {
    return `${escapeGlob(this.namespace)}{*}`;
  }
  /** SCAN pattern (logical keys) for everything this package writes. */
  namespacePattern(): string {
    return `${escapeGlob(this.namespace)}*`;
  }
  /** Logical session key from SCAN → session id, or undefined if it is not a session key. */
  sidOf(key: string): string | undefined {
    const head = `${this.namespace}{`;
    if (!key.startsWith(head) || !key.endsWith('}')) return undefined;
    const sid = key.slice(head.length, -1);
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
