/** Callers waiting for a bus message naming a key (lock waiters), each with its own deadline. */
export class Waiters {
  private readonly byKey = new Map<string, Set<() => void>>();

  /** Resolves when `wake(key)` is called or after `ms`. */
  wait(key: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.byKey.get(key);
      if (!set) {
        set = new Set();
        this.byKey.set(key, set);
      }
      const done = (): void => {
        clearTimeout(timer);
        const s = this.byKey.get(key);
        s?.delete(done);
        if (s && s.size === 0) this.byKey.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      set.add(done);
    });
  }

  wake(key: string): void {
    const set = this.byKey.get(key);
    if (set) for (const done of [...set]) done();
  }

  wakeAll(): void {
    for (const set of [...this.byKey.values()]) for (const done of [...set]) done();
  }
}
