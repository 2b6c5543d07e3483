import { logSafeError, type RedisConnection } from '@redis-toolkit/connection';
import type { CareAlert } from '@redis-toolkit/status-ui/types';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { safeErr } from '../security/log-redaction.js';

// Written once, with the status page's types (the page shows the recent alerts).
export type { CareAlert };

interface Stream {
  carerId: number;
  res: Response;
  keepAlive: NodeJS.Timeout;
}

export interface AlertHubOptions {
  redis: RedisConnection;
  logger: Logger;
  /** Pub/sub channel shared by every instance. Default `care:alerts`. */
  channel?: string;
  /** SSE comment sent this often so proxies keep the stream open. Default 15 s. */
  keepAliveMs?: number;
  onStreamsChanged?: (open: number) => void;
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });

/**
 * Care alerts: PUBLISH on one instance, every instance's subscriber (a `duplicate()` connection,
 * since a subscribed connection can run nothing else) fans the alert out to its own open SSE
 * streams of the carer concerned. When Redis cannot take the publish, the alert is still
 * delivered to this instance's streams.
 */
export function createAlertHub({
  redis,
  logger,
  channel = 'care:alerts',
  keepAliveMs = 15_000,
  onStreamsChanged,
}: AlertHubOptions) {
  const streams = new Set<Stream>();
  /** Listeners of every alert this instance delivers (the status page), whatever the carer. */
  const taps = new Set<(alert: CareAlert) => void>();
  let subscribed = false;
  let closed = false;
  let warnedPublish = false;
  const subscriber = redis.client ? redis.duplicate() : undefined;

  const deliver = (alert: CareAlert) => {
    const frame = `id: ${alert.id}\nevent: alert\ndata: ${JSON.stringify(alert)}\n\n`;
    for (const s of streams) if (s.carerId === alert.carerId) s.res.write(frame);
    for (const tap of taps) tap(alert);
  };

  const subscribedPromise: Promise<boolean> = subscriber
    ? (async () => {
        subscriber.on('message', (ch: string, message: string) => {
          if (ch !== channel) return;
          try {
            deliver(JSON.parse(message) as CareAlert);
          } catch (error) {
            logger.warn({ err: safeErr(error) }, 'care alerts: unreadable message ignored');
          }
        });
        // ioredis re-subscribes by itself after a reconnect (autoResubscribe; `redis.duplicate()`
        // observes that SUBSCRIBE, so a close before its reply is no unhandled rejection).
        subscriber.on('ready', () => {
          subscribed = true;
        });
        subscriber.on('close', () => {
          subscribed = false;
        });
        for (;;) {
          if (closed) return false;
          try {
            await subscriber.subscribe(channel);
            subscribed = true;
            return true;
          } catch {
            await new Promise((r) => setTimeout(r, 500).unref());
          }
        }
      })()
    : Promise.resolve(false);
  subscribedPromise.catch(() => {});

  return {
    /** Resolves true once this instance receives alerts published by others. */
    ready: () => subscribedPromise,
    get subscribed() {
      return subscribed;
    },
    get openStreams() {
      return streams.size;
    },
    /** Calls `listener` with every alert delivered on this instance. Returns an unsubscribe function. */
    tap(listener: (alert: CareAlert) => void): () => void {
      taps.add(listener);
      return () => taps.delete(listener);
    },
    async publish(alert: CareAlert): Promise<'redis' | 'local'> {
      const runtime = redis.runtime;
      if (runtime) {
        try {
          // Through the shared runtime: during an outage nothing is sent (local delivery at once).
          await runtime.run(
            'alerts.publish',
            () => runtime.client.publish(channel, JSON.stringify(alert)),
            1_000,
          );
          warnedPublish = false;
          return 'redis';
        } catch (error) {
          if (!warnedPublish)
            logger.warn(
              { err: logSafeError(error).message },
              'care alerts: publish failed, delivering on this instance only',
            );
          warnedPublish = true;
        }
      }
      deliver(alert);
      return 'local';
    },
    /** Turns `res` into an SSE stream of this carer's alerts until the client or the server closes it. */
    open(carerId: number, res: Response): void {
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache, no-transform');
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('X-Accel-Buffering', 'no');
      res.flushHeaders();
      res.write('retry: 3000\n: connected\n\n');
      const stream: Stream = {
        carerId,
        res,
        keepAlive: setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs),
      };
      streams.add(stream);
      onStreamsChanged?.(streams.size);
      void subscribedPromise.then((ok) => {
        if (streams.has(stream))
          res.write(`event: ready\ndata: ${JSON.stringify({ crossInstance: ok })}\n\n`);
      });
      res.on('close', () => {
        clearInterval(stream.keepAlive);
        streams.delete(stream);
        onStreamsChanged?.(streams.size);
      });
    },
    /** Ends every open stream (graceful shutdown) and unsubscribes. */
    async close(): Promise<void> {
      closed = true;
      for (const s of streams) {
        clearInterval(s.keepAlive);
        s.res.write('event: shutdown\ndata: {}\n\n');
        s.res.end();
      }
      streams.clear();
      onStreamsChanged?.(0);
      if (subscriber) {
        await withTimeout(subscriber.quit(), 1_000).catch(() => subscriber.disconnect());
      }
    },
  };
}

export type AlertHub = ReturnType<typeof createAlertHub>;
