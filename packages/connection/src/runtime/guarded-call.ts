import { Deadline } from './deadline.js';

/** What a guarded call needs from its runtime, built once per runtime (not a closure per call). */
export interface CallHooks {
  timedOut(operation: string, ms: number): Error;
  failed(operation: string, error: unknown): unknown;
  succeeded(): void;
}

/** One guarded call in the sweeper: the sweep rejects it with the runtime's timeout error. */
export class GuardedCall extends Deadline {
  /**
   * Dropped once a reply settles the call (`release`): the lane keeps a settled entry until its
   * next pass, and through `reject` it would keep the caller's promise and its reply alive until
   * then, long enough to survive young-generation collections.
   */
  private reject: ((error: unknown) => void) | undefined;

  constructor(
    private readonly hooks: CallHooks,
    private readonly operation: string,
    private readonly ms: number,
    reject: (error: unknown) => void,
  ) {
    super();
    this.reject = reject;
  }

  expire(): void {
    this.reject?.(this.hooks.timedOut(this.operation, this.ms));
  }

  release(): void {
    this.reject = undefined;
  }
}
