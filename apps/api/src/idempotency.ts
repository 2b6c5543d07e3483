import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import { z } from './openapi/zod.js';
import { safeErr } from './security/log-redaction.js';
import { HttpError, parse } from './validate.js';

/**
 * The `Idempotency-Key` request header, one contract for every route that takes it: the same key
 * within its window gets the first answer, marked `Idempotent-Replayed: true`, and repeats none
 * of the first request's effects; the same key with another request is a 422, a copy arriving
 * while the first still runs a 409. `idempotent()` keeps the first answer in `idempotency_keys`
 * (first insert wins). Where the request also creates a row (dental bookings), the row carries the
 * key too, with its fingerprint and time: a retry after an error answer (none is kept) finds that
 * row instead of creating a second one, under the same window and the same 422.
 */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{8,100}$/, 'expected 8 to 100 characters of A-Z a-z 0-9 _ . : -')
    .optional()
    .openapi({
      description:
        'Retry key (a random one per logical request): a repeat returns the first answer',
    }),
});

/** The document's response header of a replayed answer. */
export const replayedHeaders = z.object({
  'Idempotent-Replayed': z
    .string()
    .optional()
    .openapi({ description: '`true` when the Idempotency-Key was used before' }),
});

/** The request's key; a 400 when it has the wrong form. */
export const idempotencyKeyOf = (req: Request): string | undefined =>
  parse(idempotencyHeaders, req.headers, 'headers')['idempotency-key'];

export const markReplayed = (res: Response): void => {
  res.setHeader('Idempotent-Replayed', 'true');
};

/** The stored form of a request's fingerprint (never the text itself: it may hold an address). */
export const fingerprintOf = (text: string): string =>
  createHash('sha256').update(text).digest('hex');

/** The 422 of a key used before for another request. */
export const keyReused = (): HttpError =>
  new HttpError(
    422,
    'idempotency_key_reused',
    'This Idempotency-Key was used for a different request: send a new key',
  );

/** The 409 of a key whose first request is still running. */
export const keyInProgress = (): HttpError =>
  new HttpError(
    409,
    'idempotency_key_in_progress',
    'A request with this Idempotency-Key is still running: retry shortly',
    { 'Retry-After': '1' },
  );

/** How long a key keeps its answer. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;
/** A claim without an answer after this was left by a request that died: a retry takes it over. */
const ABANDONED_MS = 60_000;

type Claim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'other-request' }
  | { kind: 'in-progress' };

export interface IdempotencyStore {
  claim(scope: string, key: string, fingerprint: string): Promise<Claim>;
  complete(scope: string, key: string, status: number, body: unknown): Promise<void>;
  release(scope: string, key: string): Promise<void>;
}

/** `idempotency_keys` (migration 007): the first insert of (scope, key) wins. */
export function idempotencyStore(db: Kysely<Database>): IdempotencyStore {
  let lastSweep = 0;
  const sweep = () => {
    if (Date.now() - lastSweep < 60_000) return;
    lastSweep = Date.now();
    void db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<', new Date(Date.now() - IDEMPOTENCY_WINDOW_MS))
      .execute()
      .catch(() => undefined);
  };
  const row = (scope: string, key: string) =>
    db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('scope', '=', scope)
      .where('key', '=', key)
      .executeTakeFirst();
  return {
    async claim(scope, key, fingerprint) {
      sweep();
      // two rounds: a claim released between our insert and our read is claimable again
      for (let round = 0; round < 2; round++) {
        const now = new Date();
        const inserted = await db
          .insertInto('idempotency_keys')
          .values({ scope, key, fingerprint, created_at: now })
          .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
          .returning('key')
          .executeTakeFirst();
        if (inserted) return { kind: 'new' };
        const first = await row(scope, key);
        if (!first) continue;
        const age = now.getTime() - first.created_at.getTime();
        if (age > IDEMPOTENCY_WINDOW_MS || (first.status === null && age > ABANDONED_MS)) {
          // compare-and-set on created_at: of two retries taking it over, one wins
          const taken = await db
            .updateTable('idempotency_keys')
            .set({ fingerprint, created_at: now, status: null, response: null })
            .where('scope', '=', scope)
            .where('key', '=', key)
            .where('created_at', '=', first.created_at)
            .returning('key')
            .executeTakeFirst();
          if (taken) return { kind: 'new' };
          return { kind: 'in-progress' };
        }
        if (first.fingerprint !== fingerprint) return { kind: 'other-request' };
        if (first.status === null || first.response === null) return { kind: 'in-progress' };
        return { kind: 'replay', status: first.status, body: JSON.parse(first.response) };
      }
      return { kind: 'in-progress' };
    },
    async complete(scope, key, status, body) {
      await db
        .updateTable('idempotency_keys')
        .set({ status, response: JSON.stringify(body ?? null) })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .execute();
    },
    async release(scope, key) {
      await db
        .deleteFrom('idempotency_keys')
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('status', 'is', null)
        .execute();
    },
  };
}

export interface IdempotentOptions {
  /** Keys are separate per scope (a route, or a route and its caller). */
  scope: string | ((req: Request) => string);
  /**
   * What makes two requests the same one (never a secret: it is stored, hashed). The same key
   * with another fingerprint is a 422.
   */
  fingerprint: (req: Request) => string;
}

/**
 * Middleware for the routes that take an `Idempotency-Key` (school signup, reset and invites,
 * whose effects are tokens and e-mails; dental bookings): the first request's 2xx JSON answer is
 * stored before it is sent and replayed to every repeat within IDEMPOTENCY_WINDOW_MS, without
 * running the route again. An error answer stores nothing (a retry runs the route again). Put it
 * before rate limiters, so a replay spends no budget.
 */
export function idempotent(store: IdempotencyStore, options: IdempotentOptions): RequestHandler {
  return async (req, res, next) => {
    const key = idempotencyKeyOf(req);
    if (key === undefined) {
      next();
      return;
    }
    const scope = typeof options.scope === 'string' ? options.scope : options.scope(req);
    const fingerprint = fingerprintOf(options.fingerprint(req));
    const claim = await store.claim(scope, key, fingerprint);
    if (claim.kind === 'replay') {
      markReplayed(res);
      res.status(claim.status).json(claim.body);
      return;
    }
    if (claim.kind === 'other-request') throw keyReused();
    if (claim.kind === 'in-progress') throw keyInProgress();
    let settled = false;
    const settle = (work: () => Promise<void>) => {
      settled = true;
      return work().catch((error: unknown) => {
        // the answer still goes out; the claim then waits for ABANDONED_MS before a retry reruns
        req.log?.warn({ err: safeErr(error), scope }, 'idempotency: could not record the answer');
      });
    };
    const send = res.json.bind(res);
    res.json = ((payload: unknown) => {
      if (settled) return send(payload);
      const status = res.statusCode;
      // stored before it leaves: a retry sent the moment the answer arrives replays it
      void settle(() =>
        status < 400 ? store.complete(scope, key, status, payload) : store.release(scope, key),
      ).finally(() => send(payload));
      return res;
    }) as Response['json'];
    // answered without JSON (a 204): nothing to replay. Not on 'close': a client that gave up
    // (and will retry) must still find the answer its request goes on to produce.
    res.on('finish', () => {
      if (!settled) void settle(() => store.release(scope, key));
    });
    next();
  };
}

/** A body field as a fingerprint part (the body is not validated yet). */
export const bodyField = (req: Request, name: string): string => {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
};
