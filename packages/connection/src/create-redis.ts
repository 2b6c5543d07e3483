import { Cluster, Redis } from 'ioredis';
import { boundClusterCommands } from './cluster-timeout.js';
import { withSweptCommandTimeout } from './command-deadlines.js';
import type { RedisConfig, RedisConfigInput } from './config-types.js';
import type {
  CreateRedisOptions,
  RedisConnection,
  RedisHealth,
  RedisStatusListener,
} from './connection-types.js';
import { defineRedisConfig, refuseUnknownFields } from './define.js';
import { checkHealth } from './health.js';
import { clusterOptions, describeTarget, redisOptions } from './ioredis-options.js';
import { quitOrDisconnect } from './quit.js';
import { redactError, redactSecrets } from './redact.js';
import { observeResubscribes } from './resubscribe.js';
import { RedisRuntime } from './runtime/runtime.js';
import { explainFatal, isFatalError, messageOf, StatusTracker } from './status.js';
import { type RedisClient, silentLogger } from './types.js';

type Enabled = Exclude<RedisConfig, { enabled: false }>;

/**
 * Creates the client and returns at once: it never waits for a connection, so an app starts
 * while Redis is down. The client reconnects forever with backoff; `status`, status events,
 * `health()` and one log line per change tell the app what is going on.
 */
export function createRedis(
  input: RedisConfigInput,
  options: CreateRedisOptions = {},
): RedisConnection {
  const config = defineRedisConfig(input);
  refuseUnknownFields(options, ['logger', 'name']);
  const logger = options.logger ?? silentLogger;
  const name = (options.name ?? 'redis-toolkit').trim().replace(/\s+/g, '-') || 'redis-toolkit';
  if (!config.enabled) return disabledConnection(config, name, logger);

  const secrets = [
    config.password,
    config.mode === 'sentinel' ? config.sentinelPassword : undefined,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const redact = (text: string) => redactSecrets(text, secrets);
  const target = describeTarget(config);
  const tracker = new StatusTracker('connecting', logger, { redis: name, target });
  for (const warning of config.warnings) logger.warn({ redis: name }, redact(warning));

  let closing = false;
  let downTimer: NodeJS.Timeout | undefined;
  const clearDown = () => {
    clearTimeout(downTimer);
    downTimer = undefined;
  };

  const client = newClient(config, name);
  const duplicates = new Set<RedisClient>();
  // The shared health of this client: every package that gets this connection uses it.
  const runtime = RedisRuntime.for(client, {
    name,
    logger,
    commandTimeoutMs: Math.min(config.commandTimeoutMs, 500),
    secrets,
  });

  // A setting the server refuses (REDIS_DB out of range): ioredis would carry on in DB 0, so stop.
  let misconfigured: Error | undefined;
  const onError = (raw: unknown) => {
    const error = explainFatal(explain(raw, secrets), config);
    tracker.lastError = error;
    if (error !== raw && /REDIS_DB=/.test(error.message) && !misconfigured) {
      misconfigured = error;
      runtime.report('connection', error);
      clearDown();
      tracker.set('down', error);
      client.disconnect();
      return;
    }
    if (!closing) runtime.report('connection', error);
    if (!closing && isFatalError(error)) {
      clearDown();
      tracker.set('down', error);
    }
  };
  client.on('error', onError);
  client.on('node error', onError);
  client.on('ready', () => {
    if (closing || misconfigured) return;
    clearDown();
    tracker.set('ready');
  });
  const lost = () => {
    if (closing) return;
    if (tracker.status === 'ready') {
      tracker.set('reconnecting', tracker.lastError);
      clearDown();
      downTimer = setTimeout(() => {
        if (!closing && tracker.status === 'reconnecting') tracker.set('down', tracker.lastError);
      }, config.downAfterMs);
      downTimer.unref?.();
    } else if (tracker.status === 'connecting') {
      tracker.set('down', tracker.lastError);
    }
  };
  client.on('close', lost);
  client.on('reconnecting', lost);
  client.on('end', () => {
    if (misconfigured) tracker.lastError = misconfigured;
    if (!closing)
      tracker.set('down', tracker.lastError ?? new Error('ioredis ended the connection'));
  });

  let closed: Promise<void> | undefined;

  const connection: RedisConnection = {
    client,
    name,
    config,
    get status() {
      return tracker.status;
    },
    get lastError() {
      return tracker.lastError;
    },
    on(_event: 'status', listener: RedisStatusListener) {
      return tracker.on(listener);
    },
    off(_event: 'status', listener: RedisStatusListener) {
      tracker.off(listener);
    },
    health({
      timeoutMs = config.healthTimeoutMs,
    }: {
      timeoutMs?: number;
    } = {}): Promise<RedisHealth> {
      return checkHealth(
        client,
        () => tracker.status,
        () => tracker.lastError,
        timeoutMs,
        redact,
      );
    },
    duplicate() {
      if (closing) throw new Error(`redis connection "${name}" is closed`);
      const copy = observeResubscribes(newClient(config, name));
      copy.on('error', () => {
        // Reported through commands and the parent's status; an unhandled 'error' event must not crash.
      });
      duplicates.add(copy);
      copy.once('end', () => duplicates.delete(copy));
      return copy;
    },
    waitUntilReady(timeoutMs = 10_000) {
      return waitForReady(tracker, timeoutMs, name);
    },
    runtime,
    close({ timeoutMs = 2000 }: { timeoutMs?: number } = {}) {
      if (closed) return closed;
      closing = true;
      runtime.shutdown();
      clearDown();
      tracker.set('closed');
      closed = Promise.all([...duplicates, client].map((c) => quitOrDisconnect(c, timeoutMs))).then(
        () => {
          duplicates.clear();
        },
      );
      return closed;
    },
  };
  return connection;
}

function newClient(config: Enabled, name: string): RedisClient {
  if (config.mode === 'cluster') {
    const cluster = new Cluster(config.nodes, clusterOptions(config, name));
    boundClusterCommands(cluster, config.commandTimeoutMs);
    return cluster;
  }
  return withSweptCommandTimeout((options) => new Redis(options), redisOptions(config, name));
}

/** A redacted error; for a Cluster "all nodes failed" error the last node's reason is appended. */
function explain(raw: unknown, secrets: string[]): Error {
  const error = raw instanceof Error ? raw : new Error(messageOf(raw));
  const last = (error as { lastNodeError?: unknown }).lastNodeError;
  if (last instanceof Error && !error.message.includes(last.message)) {
    const combined = new Error(`${error.message} Last node error: ${last.message}`);
    combined.name = error.name;
    return redactError(combined, secrets);
  }
  return redactError(error, secrets);
}

function waitForReady(tracker: StatusTracker, timeoutMs: number, name: string): Promise<void> {
  if (tracker.status === 'ready') return Promise.resolve();
  if (tracker.status === 'closed' || tracker.status === 'disabled') {
    return Promise.reject(new Error(`redis connection "${name}" is ${tracker.status}`));
  }
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      const reason = tracker.lastError ? `: ${tracker.lastError.message}` : '';
      reject(
        new Error(
          `redis connection "${name}" not ready within ${timeoutMs} ms (status ${tracker.status})${reason}`,
        ),
      );
    }, timeoutMs);
    const unsubscribe = tracker.on((status) => {
      if (status === 'ready') {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      } else if (status === 'closed') {
        clearTimeout(timer);
        unsubscribe();
        reject(new Error(`redis connection "${name}" was closed before it was ready`));
      }
    });
  });
}

function disabledConnection(
  config: RedisConfig,
  name: string,
  logger: NonNullable<CreateRedisOptions['logger']>,
): RedisConnection {
  logger.info({ redis: name, status: 'disabled' }, 'redis disabled by configuration');
  const tracker = new StatusTracker('disabled', logger, { redis: name });
  return {
    client: null,
    name,
    config,
    get status() {
      return tracker.status;
    },
    lastError: undefined,
    runtime: undefined,
    on: (_event, listener) => tracker.on(listener),
    off: (_event, listener) => tracker.off(listener),
    health: async () => ({
      healthy: false,
      latencyMs: 0,
      status: 'disabled',
      error: 'redis is disabled',
    }),
    duplicate() {
      throw new Error(
        `redis connection "${name}" is disabled (REDIS_ENABLED=false): there is no client to duplicate`,
      );
    },
    waitUntilReady: () => Promise.reject(new Error(`redis connection "${name}" is disabled`)),
    close: () => Promise.resolve(),
  };
}
