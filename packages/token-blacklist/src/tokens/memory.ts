import type { ResolvedPurpose } from './options.js';

/**
 * The in-process stores of memory-only mode (no `redis`) and of `issueDuringOutage`. They mirror
 * the Lua scripts one for one, so both modes behave alike. Bounded by `maxMemoryEntries`: the
 * oldest entry is dropped first, which voids a token — the safe direction.
 */
export class MemoryOneTime {
  readonly #tokens = new Map<string, { record: string; exp: number; subject: string }>();
  readonly #subjects = new Map<string, Set<string>>();
  readonly #counters = new Map<string, { n: number; exp: number }>();
  constructor(private readonly max: number) {}

  get size(): number {
    return this.#tokens.size;
  }

  /** `undefined` when issued, else ms until the limit window ends. */
  issue(
    keys: { subject: string; tokenPrefix: string; counter: string },
    hash: string,
    record: string,
    purpose: ResolvedPurpose,
  ): number | undefined {
    const now = Date.now();
    if (purpose.limit) {
      let counter = this.#counters.get(keys.counter);
      if (!counter || counter.exp <= now) {
        counter = { n: 0, exp: now + purpose.limit.perMs };
        this.#counters.set(keys.counter, counter);
      }
      if (++counter.n > purpose.limit.max) return counter.exp - now;
    }
    if (purpose.single) this.revokeAll(keys);
    const key = keys.tokenPrefix + hash;
    this.#tokens.set(key, { record, exp: now + purpose.ttlMs, subject: keys.subject });
    const set = this.#subjects.get(keys.subject) ?? new Set<string>();
    this.#subjects.set(keys.subject, set);
    set.add(key);
    this.#evict(now);
    return undefined;
  }

  peek(key: string): string | undefined {
    const entry = this.#tokens.get(key);
    if (!entry) return undefined;
    if (entry.exp > Date.now()) return entry.record;
    this.#drop(key);
    return undefined;
  }

  consume(key: string): string | undefined {
    const record = this.peek(key);
    if (record !== undefined) this.#drop(key);
    return record;
  }

  revokeAll(keys: { subject: string }): number {
    const set = this.#subjects.get(keys.subject);
    if (!set) return 0;
    let n = 0;
    for (const key of set) if (this.#tokens.delete(key)) n++;
    this.#subjects.delete(keys.subject);
    return n;
  }

  #drop(key: string): void {
    const entry = this.#tokens.get(key);
    if (!entry) return;
    this.#tokens.delete(key);
    this.#subjects.get(entry.subject)?.delete(key);
  }

  #evict(now: number): void {
    if (this.#counters.size > this.max) {
      for (const [key, c] of this.#counters) if (c.exp <= now) this.#counters.delete(key);
    }
    for (const key of this.#tokens.keys()) {
      if (this.#tokens.size <= this.max) break;
      this.#drop(key);
    }
  }
}

interface Family {
  cur: string;
  used: Set<string>;
  record: string;
  subjectTag: string;
  exp: number;
}

/** Refresh families in memory; same answers as REFRESH_ROTATE. */
export class MemoryFamilies {
  readonly #families = new Map<string, Family>();
  readonly #bySubject = new Map<string, Set<string>>();
  constructor(private readonly max: number) {}

  get size(): number {
    return this.#families.size;
  }

  has(familyId: string): boolean {
    return this.#live(familyId) !== undefined;
  }

  issue(familyId: string, hash: string, record: string, subjectTag: string, ttlMs: number): void {
    this.#families.set(familyId, {
      cur: hash,
      used: new Set(),
      record,
      subjectTag,
      exp: Date.now() + ttlMs,
    });
    const set = this.#bySubject.get(subjectTag) ?? new Set<string>();
    this.#bySubject.set(subjectTag, set);
    set.add(familyId);
    for (const id of this.#families.keys()) {
      if (this.#families.size <= this.max) break;
      this.revoke(id);
    }
  }

  rotate(
    familyId: string,
    hash: string,
    next: string,
    ttlMs: number,
  ): { kind: 'rotated' | 'reused'; record: string } | undefined {
    const family = this.#live(familyId);
    if (!family) return undefined;
    if (family.cur === hash) {
      family.used.add(hash);
      family.cur = next;
      family.exp = Date.now() + ttlMs;
      return { kind: 'rotated', record: family.record };
    }
    if (family.used.has(hash)) {
      this.revoke(familyId);
      return { kind: 'reused', record: family.record };
    }
    return undefined;
  }

  revoke(familyId: string): boolean {
    const family = this.#families.get(familyId);
    if (!family) return false;
    this.#families.delete(familyId);
    this.#bySubject.get(family.subjectTag)?.delete(familyId);
    return true;
  }

  revokeSubject(subjectTag: string): number {
    let n = 0;
    for (const id of this.#bySubject.get(subjectTag) ?? []) if (this.revoke(id)) n++;
    this.#bySubject.delete(subjectTag);
    return n;
  }

  #live(familyId: string): Family | undefined {
    const family = this.#families.get(familyId);
    if (family && family.exp <= Date.now()) {
      this.revoke(familyId);
      return undefined;
    }
    return family;
  }
}
