import type { Cluster, Redis } from 'ioredis';

/** Any ioredis client the toolkit accepts: a single node (standalone or Sentinel-managed) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** A pino-compatible log method: `(obj, msg?)` or `(msg)`. */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/** The logger every package accepts: pino, or anything with these four methods. Optional everywhere. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** A logger that drops everything; the default when none is given. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
