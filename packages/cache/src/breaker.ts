/** Circuit state as reported by `stats().circuit`. */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long it stays open before one probe call is let through (a Duration). Default '2s'. */
  cooldown?: number | string;
}

/** Opens after N consecutive failures; after a cool-down lets one probe through (half-open). */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  state: CircuitState = 'closed';

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly onChange: (state: CircuitState) => void,
  ) {}

  /** True when a call may go to Redis now. In half-open, only one probe at a time. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (Date.now() - this.openedAt < this.cooldownMs) return false;
      this.set('half-open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.state !== 'closed') this.set('closed');
  }

  failure(): void {
    this.failures++;
    this.probing = false;
    if (
      this.state === 'half-open' ||
      (this.state === 'closed' && this.failures >= this.threshold)
    ) {
      this.openedAt = Date.now();
      this.set('open');
    }
  }

  private set(state: CircuitState): void {
    this.state = state;
    this.onChange(state);
  }
}
