/** The part of the API's `/status.json` (apps/api/src/status/types.ts) this page reads. */
export interface Snapshot {
  now: number;
  startedAt: number;
  environment: string;
  redis: {
    target: string;
    status: string;
    available: boolean;
    outage: { since: number; reason: string; message: string } | null;
    latency: { t: number; latencyMs: number | null; status: string }[];
    incidents: { since: number; until?: number; reason: string; message: string }[];
  };
  database: { kind: string };
  caches: {
    name: string;
    hit: number;
    miss: number;
    stale: number;
    error: number;
    fallback: number;
    ratio: number | null;
    degraded: boolean;
    history: { t: number; ratio: number | null }[];
  }[];
  limiters: {
    name: string;
    limit: number;
    windowMs: number;
    allow: number;
    block: number;
    fallback: number;
    onRedisError: string;
  }[];
  sessions: {
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
  jobs: { stats: Record<string, unknown>; queues: Record<string, Record<string, number>> } | null;
  alerts: {
    streams: number;
    subscribed: boolean;
    recent: {
      id: number;
      carerId: number;
      clientId: number;
      severity: string;
      message: string;
      receivedAt: number;
    }[];
  };
}
