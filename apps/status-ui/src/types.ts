// The shape of the API's `GET /status.json`, written once: apps/api builds it
// (src/status/collector.ts) and this page reads it. The API imports these types as
// `@redis-toolkit/status-ui/types` (type-only: nothing of this package runs in the API).

/** One `health()` sample of the shared connection (every 2 s). `latencyMs` null: no answer. */
export interface LatencySample {
  t: number;
  latencyMs: number | null;
  status: string;
}

export interface CacheStatus {
  name: string;
  hit: number;
  miss: number;
  stale: number;
  error: number;
  fallback: number;
  /** hit / (hit + miss + stale) since start; null before the first lookup. */
  ratio: number | null;
  degraded: boolean;
  /** The ratio over each 2 s sample window (null: no lookups in that window). */
  history: { t: number; ratio: number | null }[];
}

export interface LimiterStatus {
  name: string;
  limit: number;
  windowMs: number;
  allow: number;
  block: number;
  fallback: number;
  onRedisError: string;
}

export interface Incident {
  since: number;
  until?: number;
  reason: string;
  message: string;
}

/** A care alert as the API publishes it to every instance and sends it on the carer's stream. */
export interface CareAlert {
  id: number;
  clientId: number;
  carerId: number;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  createdAt: string;
}

/** A care alert as the stream saw it (the `CareAlert` plus when this instance received it). */
export interface AlertStatus extends CareAlert {
  receivedAt: number;
}

export interface JobsStatus {
  stats: Record<string, unknown>;
  queues: Record<string, Record<string, number>>;
}

/** What `/status.json` answers (the page polls it every 2 s): read from the packages' own stats. */
export interface StatusSnapshot {
  now: number;
  startedAt: number;
  environment: string;
  redis: {
    name: string;
    /** Where it points (host:port, sentinel or cluster seeds; never credentials), or `memory-only`. */
    target: string;
    status: string;
    available: boolean;
    outage: { since: number; reason: string; message: string } | null;
    latency: LatencySample[];
    incidents: Incident[];
  };
  database: { kind: string };
  caches: CacheStatus[];
  limiters: LimiterStatus[];
  sessions: {
    /** Sessions in the store (null: unknown, e.g. during an outage). */
    active: number | null;
    hit: number;
    miss: number;
    fallback: number;
    error: number;
    memoryEntries: number;
    redis: string;
  };
  presence: { online: { carerId: number; lastSeen: string }[]; source: string };
  blacklist: {
    inSync: boolean;
    localEntries: number;
    revocation: number;
    resyncs: number;
    replayed: number;
    fallback: number;
    redis: string;
  };
  /** null when no jobs package is wired into this app. */
  jobs: JobsStatus | null;
  alerts: { streams: number; subscribed: boolean; recent: AlertStatus[] };
}
