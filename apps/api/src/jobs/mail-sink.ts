/** One delivery attempt of an e-mail job, as the development mail sink shows it. */
export interface SinkEntry {
  /** Increasing per instance: the newest entry has the highest id. */
  seq: number;
  jobId: string;
  to: string;
  subject: string;
  text: string;
  template: string;
  /** 1 on the first try. */
  attempt: number;
  status: 'delivered' | 'failed';
  /** Why the attempt failed (the simulated transport error). */
  error?: string;
  at: string;
}

/**
 * The development mail sink: the last `capacity` delivery attempts in this process's memory.
 * Memory rather than a Redis list on purpose: the e-mails carry live one-time tokens, which Redis
 * otherwise only holds as hashes, and a sink needs no more durability than a dev server's life.
 * With several instances, each sink shows what its own workers delivered.
 */
export class MailSink {
  private readonly entries: SinkEntry[] = [];
  private seq = 0;
  constructor(private readonly capacity = 200) {}

  record(entry: Omit<SinkEntry, 'seq' | 'at'>): SinkEntry {
    const full = { ...entry, seq: ++this.seq, at: new Date().toISOString() };
    this.entries.push(full);
    if (this.entries.length > this.capacity) this.entries.shift();
    return full;
  }

  /** Newest first, optionally only one recipient's. */
  list({ to, limit = 50 }: { to?: string; limit?: number } = {}): SinkEntry[] {
    const wanted = to?.toLowerCase();
    const out: SinkEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.entries[i] as SinkEntry;
      if (!wanted || entry.to === wanted) out.push(entry);
    }
    return out;
  }
}
