import { type SessionData, Store } from 'express-session';

/**
 * What a step returns when it finished without sending anything (a touch inside the activity
 * resolution): its callback is called at once. express-session ends a response whose store call
 * answers later in two writes (all but the last byte, then that byte once the store answers), so
 * an answer in the same tick keeps the response to one write.
 */
export const DONE_AT_ONCE: Promise<void> = Promise.resolve();

type Callback<T> = (err: unknown, value?: T) => void;
type Done = (err?: unknown) => void;

/** express-session's callback-style Store interface over a promise API. */
export abstract class CallbackStore extends Store {
  abstract read(sid: string): Promise<SessionData | null>;
  abstract write(sid: string, session: SessionData): Promise<void>;
  abstract refresh(sid: string, session: SessionData): Promise<void>;
  abstract remove(sid: string): Promise<void>;
  abstract allSessions(): Promise<(SessionData & { id: string })[]>;
  abstract sessionIds(): Promise<string[]>;
  abstract clearAll(): Promise<void>;

  override get(sid: string, cb: Callback<SessionData | null>): void {
    settle(this.read(sid), cb);
  }
  override set(sid: string, session: SessionData, cb?: Done): void {
    settle(this.write(sid, session), cb);
  }
  override touch(sid: string, session: SessionData, cb?: Done): void {
    const touched = this.refresh(sid, session);
    if (touched === DONE_AT_ONCE) cb?.();
    else settle(touched, cb);
  }
  override destroy(sid: string, cb?: Done): void {
    settle(this.remove(sid), cb);
  }
  override all(cb: Callback<SessionData[]>): void {
    settle(this.allSessions(), cb);
  }
  override length(cb: Callback<number>): void {
    settle(
      this.sessionIds().then((ids) => ids.length),
      cb,
    );
  }
  override clear(cb?: Done): void {
    settle(this.clearAll(), cb);
  }
  ids(cb: Callback<string[]>): void {
    settle(this.sessionIds(), cb);
  }
}

function settle<T>(promise: Promise<T>, cb: Callback<T> | undefined): void {
  promise.then(
    (value) => cb?.(null, value),
    (error: unknown) => cb?.(error),
  );
}
