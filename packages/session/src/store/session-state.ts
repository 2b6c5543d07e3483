import type { SessionData } from 'express-session';

/**
 * What the store learnt about a session object: a symbol-keyed field on the object itself
 * (JSON.stringify and express-session's copy skip symbols): one object per load instead of an
 * entry in each of several WeakSets/WeakMaps.
 */
export interface SessionState {
  /** Read from Redis: its save is `SET XX` (cannot resurrect a destroyed session). */
  fromRedis: boolean;
  /** The user index was refreshed less than `activityResolution` ago (the mark). */
  indexFresh: boolean;
  /**
   * The cookie maxAge the key's expiry was slid with, less than `activityResolution` ago (mark
   * seen at load or set by this request); its touch sends nothing. `undefined`: not known.
   */
  slidWith: number | null | undefined;
}
export const STATE = Symbol('redis-toolkit session state');
export type Tagged = { [STATE]?: SessionState };

export function stateOf(session: object): SessionState | undefined {
  return (session as Tagged)[STATE];
}

/** This request set the mark: the index is fresh and the expiry was just slid. */
export function markSlid(session: SessionData): void {
  const tagged = session as Tagged;
  const slidWith = maxAgeOf(session);
  const state = tagged[STATE];
  if (state) {
    state.indexFresh = true;
    state.slidWith = slidWith;
  } else {
    tagged[STATE] = { fromRedis: false, indexFresh: true, slidWith };
  }
}

/** The cookie maxAge a session's expiry is computed from (`null`: a browser-session cookie). */
export function maxAgeOf(session: SessionData): number | null {
  return session.cookie?.originalMaxAge ?? null;
}

/**
 * express-session recomputes `originalMaxAge` from `expires - Date.now()` on every touch, so an
 * unchanged maxAge can come back a millisecond or two off; a changed one differs by far more.
 */
export function sameMaxAge(slidWith: number | null | undefined, now: number | null): boolean {
  if (slidWith === undefined) return false;
  if (slidWith === null || now === null) return slidWith === now;
  return Math.abs(slidWith - now) <= 1000;
}
