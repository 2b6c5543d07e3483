import { isCluster, keyPrefixOf, type Logger, type RedisClient } from '@redis-toolkit/connection';
import type { Cluster, Redis } from 'ioredis';
import { TrackedNode } from './node.js';

/** One cache (a Core) on the client: the keys it owns and where their invalidations go. */
export interface TrackingListener {
  /** Logical prefix of the cache's keys (`{prefix}cache:`, without the ioredis keyPrefix). */
  readonly root: string;
  /** Logical keys (keyPrefix stripped) under `root`; `null`: drop everything. */
  keys(keys: string[] | null): void;
  /** Every node tracks with a prefix covering `root` (true), or at least one no longer does (false). */
  state(tracking: boolean): void;
  refused(reason: string): void;
}

/** How often a Cluster's master set is compared with the nodes we track (besides node events). */
const CLUSTER_RECONCILE_MS = 2000;

const shared = new WeakMap<object, ClientTracking>();

/**
 * Server-assisted invalidation for one ioredis client, shared by every cache on it: a connection
 * redirects its tracking to exactly one client id, so two caches on one client must share one
 * subscriber (per server) and one prefix list.
 */
export class ClientTracking {
  private readonly nodes = new Map<string, TrackedNode>();
  /** Each cache on the client → the state it was last told (true: its keys are tracked). */
  private readonly listeners = new Map<TrackingListener, boolean>();
  private readonly keyPrefix: string;
  private refusedReason: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly offCluster: (() => void) | undefined;

  static for(client: RedisClient, logger: Logger, timeoutMs: number): ClientTracking {
    let tracking = shared.get(client);
    if (!tracking) {
      tracking = new ClientTracking(client, logger, timeoutMs);
      shared.set(client, tracking);
    }
    return tracking;
  }

  private constructor(
    private readonly client: RedisClient,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {
    this.keyPrefix = keyPrefixOf(client);
    if (isCluster(client)) {
      const cluster = client as Cluster;
      const sync = (): void => this.reconcile();
      cluster.on('+node', sync);
      cluster.on('-node', sync);
      cluster.on('ready', sync);
      this.timer = setInterval(sync, CLUSTER_RECONCILE_MS);
      this.timer.unref?.();
      this.offCluster = () => {
        cluster.off('+node', sync);
        cluster.off('-node', sync);
        cluster.off('ready', sync);
      };
    }
  }

  /** True when every node tracks (and there is one). */
  get active(): boolean {
    if (this.nodes.size === 0 || this.refusedReason !== undefined) return false;
    for (const node of this.nodes.values()) if (!node.active) return false;
    return true;
  }

  get refused(): string | undefined {
    return this.refusedReason;
  }

  /**
   * A cache joins. If tracking is already on it is told so as soon as its keys are tracked: at
   * once when a tracked prefix covers them, else once every node has enabled tracking again with
   * its prefix (a state change alone would never reach it: the nodes already track).
   */
  add(listener: TrackingListener): () => Promise<void> {
    this.listeners.set(listener, false);
    if (this.refusedReason !== undefined) {
      listener.refused(this.refusedReason);
    } else {
      const prefixes = this.prefixes();
      for (const node of this.nodes.values()) node.setPrefixes(prefixes);
      this.reconcile();
      this.report();
    }
    return () => this.remove(listener);
  }

  private async remove(listener: TrackingListener): Promise<void> {
    if (!this.listeners.delete(listener)) return;
    if (this.listeners.size > 0) {
      const prefixes = this.prefixes();
      for (const node of this.nodes.values()) node.setPrefixes(prefixes);
      return;
    }
    shared.delete(this.client);
    if (this.timer) clearInterval(this.timer);
    this.offCluster?.();
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    await Promise.all(nodes.map((n) => n.close()));
  }

  /** BCAST prefixes with the keyPrefix; none may be a prefix of another (the server refuses overlaps). */
  private prefixes(): string[] {
    const all = [...new Set([...this.listeners.keys()].map((l) => this.keyPrefix + l.root))].sort();
    return all.filter((p, i) => !all.some((q, j) => j !== i && p.startsWith(q)));
  }

  /** The servers holding our data: the client itself, or every Cluster master. */
  private reconcile(): void {
    if (this.listeners.size === 0 || this.refusedReason !== undefined) return;
    const wanted = new Map<string, Redis>();
    if (isCluster(this.client)) {
      for (const node of (this.client as Cluster).nodes('master')) {
        wanted.set(`${node.options.host}:${node.options.port}`, node);
      }
    } else {
      wanted.set('single', this.client as Redis);
    }
    let changed = false;
    for (const [id, node] of this.nodes) {
      if (wanted.get(id) !== node.data) {
        this.nodes.delete(id);
        void node.close();
        changed = true;
      }
    }
    const prefixes = this.prefixes();
    for (const [id, data] of wanted) {
      if (this.nodes.has(id)) continue;
      this.nodes.set(
        id,
        new TrackedNode(
          data,
          prefixes,
          {
            keys: (keys) => this.dispatch(keys),
            state: () => this.report(),
            refused: (reason) => this.refuse(reason),
          },
          this.logger,
          this.timeoutMs,
        ),
      );
      changed = true;
    }
    if (changed) this.report();
  }

  private dispatch(keys: string[] | null): void {
    const logical =
      keys === null || this.keyPrefix === ''
        ? keys
        : keys
            .filter((k) => k.startsWith(this.keyPrefix))
            .map((k) => k.slice(this.keyPrefix.length));
    for (const listener of this.listeners.keys()) {
      if (logical === null) listener.keys(null);
      else {
        const mine = logical.filter((k) => k.startsWith(listener.root));
        if (mine.length > 0) listener.keys(mine);
      }
    }
  }

  /** Tells each cache whose state changed: tracked = every node tracks with a prefix covering its keys. */
  private report(): void {
    const active = this.active;
    for (const [listener, told] of this.listeners) {
      const tracked = active && this.covers(listener);
      if (tracked === told) continue;
      this.listeners.set(listener, tracked);
      listener.state(tracked);
    }
  }

  private covers(listener: TrackingListener): boolean {
    const root = this.keyPrefix + listener.root;
    for (const node of this.nodes.values()) {
      if (!node.applied.some((p) => root.startsWith(p))) return false;
    }
    return true;
  }

  private refuse(reason: string): void {
    if (this.refusedReason !== undefined) return;
    this.refusedReason = reason;
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    for (const node of nodes) void node.close();
    for (const listener of this.listeners.keys()) {
      this.listeners.set(listener, false);
      listener.refused(reason);
    }
  }
}
