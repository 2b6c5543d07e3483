import type { RedisConfig } from '@redis-toolkit/connection';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppConfigError } from '../env-error.js';

const isLoopback = (host: string) =>
  host === 'localhost' ||
  host === '::1' ||
  host === '[::1]' ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
  host.endsWith('.localhost');

function redisHosts(config: RedisConfig): string[] {
  if (!config.enabled) return [];
  if (config.mode === 'standalone') return [config.host];
  if (config.mode === 'sentinel') return config.sentinels.map((s) => s.host);
  return config.nodes.map((n) => n.host);
}

/**
 * Production refuses a plain-text connection to a Redis on another machine: session ids, cached
 * records and revocations would cross the network readable. Loopback (a sidecar) is allowed.
 */
export function assertProductionRedis(production: boolean, config: RedisConfig): void {
  if (!production || !config.enabled || config.tls) return;
  const remote = redisHosts(config).filter((host) => !isLoopback(host));
  if (remote.length > 0)
    throw new AppConfigError(
      `Redis at ${remote.join(', ')} without TLS is refused when NODE_ENV=production: use a rediss:// URL or set REDIS_TLS=true (plain redis:// is only accepted to a loopback address)`,
    );
}

/**
 * With `TRUST_PROXY=0` a proxy's `X-Forwarded-For` is ignored, so every client looks like the
 * proxy (one shared rate limit, the proxy's address in the session device list): said once.
 */
export function proxyHeaderWarning(trustProxy: number, logger: Logger): RequestHandler {
  let warned = trustProxy > 0;
  return (req, _res, next) => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined) {
      warned = true;
      logger.warn(
        'a request arrived with X-Forwarded-For but TRUST_PROXY=0: clients are identified by the proxy address; set TRUST_PROXY to the number of proxies in front of this app',
      );
    }
    next();
  };
}
