import { TestKitError } from './errors.js';

/** What a factory for one app instance returns. */
export interface Instance {
  url: string;
  close(): Promise<void>;
}

export interface Instances<I extends Instance> {
  /** In start order: `all[0]` was started with index 0. */
  all: I[];
  urls: string[];
  /** Closes every instance (in parallel); idempotent; rejects with all failures at once. */
  close(): Promise<void>;
}

/**
 * Starts `n` instances of one app (e.g. two API processes on one Redis) with `start(index)`.
 * If any fails to start, the ones that did are closed before the error is rethrown, so a failed
 * `beforeAll` leaves nothing listening.
 */
export async function startInstances<I extends Instance>(
  n: number,
  start: (index: number) => Promise<I>,
): Promise<Instances<I>> {
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => start(i)));
  const started = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length > 0) {
    await Promise.allSettled(started.map((instance) => instance.close()));
    throw new TestKitError(
      'E_INSTANCE_START',
      `${failed.length} of ${n} instances failed to start: ${describe(failed[0])}`,
      { cause: failed[0] },
    );
  }
  let closing: Promise<void> | undefined;
  return {
    all: started,
    urls: started.map((instance) => instance.url),
    close: () => {
      closing ??= closeAll(started);
      return closing;
    },
  };
}

async function closeAll(instances: readonly Instance[]): Promise<void> {
  const results = await Promise.allSettled(instances.map((instance) => instance.close()));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length > 0) {
    throw new TestKitError(
      'E_INSTANCE_CLOSE',
      `${errors.length} of ${instances.length} instances failed to close: ${describe(errors[0])}`,
      { cause: new AggregateError(errors) },
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
