// The snapshot's types live once, in the page that reads them (apps/status-ui/src/types.ts).
export type {
  AlertStatus,
  CacheStatus,
  Incident,
  JobsStatus,
  LatencySample,
  LimiterStatus,
  StatusSnapshot,
} from '@redis-toolkit/status-ui/types';
