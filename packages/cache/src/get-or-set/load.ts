import type { Core } from '../core.js';
import { prepare } from '../ops/envelope.js';
import { write } from '../ops/write.js';
import { ms } from '../options/resolve.js';
import type { GetOrSetOptions, WithMeta } from '../options/types.js';
import type { Found } from '../tiers/memory.js';

const SOFT_TIMEOUT: unique symbol = Symbol('soft-timeout');

export type Loader<T> = () => T | Promise<T>;

/** Runs the loader and stores its value; with a stale value at hand, errors and slowness serve stale. */
export async function load<T>(
  core: Core,
  full: string,
  loader: Loader<T>,
  options: GetOrSetOptions | undefined,
  stale: Found | undefined,
): Promise<WithMeta<T>> {
  core.telemetry.counters.loaderCalls++;
  const run = (async (): Promise<WithMeta<T>> => {
    const value = await loader();
    if (value !== undefined) {
      await write(core, full, prepare(core, full, value, options), false, 'getOrSet');
    }
    return { value, source: 'loader' };
  })();
  if (!stale || stale.g <= Date.now()) return run;
  const serveStale = (reason: 'error' | 'timeout', error?: unknown): WithMeta<T> => {
    core.telemetry.emit('stale', 'getOrSet');
    core.telemetry.detail('stale', { key: full, reason, error });
    core.logger.debug({ key: full, reason }, 'cache: serving stale value');
    return { value: stale.value as T, source: 'stale' };
  };
  const guarded = run.catch((error: unknown) => serveStale('error', error));
  if (options?.timeout === undefined) return guarded;
  const softMs = ms(options.timeout, 'timeout', 0);
  let timer: NodeJS.Timeout | undefined;
  const soft = new Promise<typeof SOFT_TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(SOFT_TIMEOUT), softMs);
  });
  const winner = await Promise.race([guarded, soft]);
  clearTimeout(timer);
  if (winner !== SOFT_TIMEOUT) return winner;
  run.catch((error: unknown) =>
    core.logger.warn(
      { key: full, err: error instanceof Error ? error.message : String(error) },
      'cache: background refresh failed',
    ),
  );
  return serveStale('timeout');
}
