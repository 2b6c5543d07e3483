import type { SessionData } from 'express-session';
import { decodeSession, isWrongType } from '../codec/codec.js';
import { onUnavailable } from '../outage/policy.js';
import type { StoreContext } from './context.js';
import { isValidSid, markOf, sessionHandle } from './keys.js';
import { maxAgeOf, STATE, type Tagged } from './session-state.js';

/**
 * Load (the store's `read` once no early load answers it). The hot path is one guarded command
 * and one reply handler, no `async` layer: every promise hop here is paid on every request.
 */
export function loadSession(ctx: StoreContext, sid: string): Promise<SessionData | null> {
  if (!isValidSid(sid)) return Promise.resolve(null);
  const { runtime, memory, keys, opts } = ctx;
  if (memory?.isDestroyed(sid)) return Promise.resolve(miss(ctx));
  if (!runtime) return Promise.resolve(fromMemory(ctx, sid));
  const key = keys.session(sid);
  const client = runtime.client;
  const onError = (error: unknown): SessionData | null => {
    if (isWrongType(error)) return corrupt(ctx, sid, 'not a string');
    return onUnavailable(ctx, error, 'get', () => fromMemory(ctx, sid));
  };
  // A mark this instance set and that still lives (mark-memo.ts) says the index is fresh: the
  // data alone is read. Otherwise, same slot (hash tag), one command: the data and the mark.
  const marked = opts.activityResolutionMs > 0 && ctx.marks.knows(sid);
  if (opts.activityResolutionMs > 0 && !marked) {
    return runtime
      .run('get', () => client.mget(key, markOf(key)), opts.commandTimeoutMs)
      .then(([raw = null, mark = null]) => loadedFrom(ctx, sid, raw, mark !== null), onError);
  }
  return runtime
    .run('get', () => client.get(key), opts.commandTimeoutMs)
    .then((raw) => loadedFrom(ctx, sid, raw, marked), onError);
}

/** The session in a GET reply, or null; remembers it came from Redis (its save is `SET XX`). */
function loadedFrom(
  ctx: StoreContext,
  sid: string,
  raw: string | null,
  indexFresh: boolean,
): SessionData | null {
  // Under 'memory' a session created during an outage may not have reached Redis yet.
  if (raw === null) return ctx.memory ? fromMemory(ctx, sid) : miss(ctx);
  const session = parse(ctx, sid, raw);
  if (!session) return null;
  ctx.events.emit('hit', 'get');
  (session as Tagged)[STATE] = {
    fromRedis: true,
    indexFresh,
    slidWith: indexFresh ? maxAgeOf(session) : undefined,
  };
  return session;
}

function fromMemory(ctx: StoreContext, sid: string): SessionData | null {
  const local = ctx.memory?.get(sid);
  if (local === undefined) return miss(ctx);
  const session = parse(ctx, sid, local);
  if (session) ctx.events.emit('hit', 'get');
  return session;
}

function parse(ctx: StoreContext, sid: string, raw: string): SessionData | null {
  const session = decodeSession(raw);
  if (!session) return corrupt(ctx, sid, 'not session JSON');
  return session;
}

function corrupt(ctx: StoreContext, sid: string, why: string): null {
  ctx.counters.corrupt++;
  ctx.events.emit('miss', 'get');
  ctx.logger.warn(
    { handle: sessionHandle(sid), why },
    'session: unreadable session data, starting a fresh session',
  );
  return null;
}

function miss(ctx: StoreContext): null {
  ctx.events.emit('miss', 'get');
  return null;
}
