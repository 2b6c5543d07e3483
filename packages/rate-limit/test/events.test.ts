import diagnostics from 'node:diagnostics_channel';
import type { ToolkitEvent } from '@redis-toolkit/connection';
import { describe, expect, it } from 'vitest';
import { createLimiter } from '../src/index.js';

// Memory-only (no redis): the events and stats of a limiter need no server.
describe('limiter events', () => {
  it('each decision emits allow or block in the shared shape, on events and on the diagnostics channel; stats() sums them', async () => {
    const limiter = createLimiter({ name: 'ev', window: 60, limit: 2 });
    const seen: ToolkitEvent[] = [];
    const off = limiter.events.on((e) => seen.push(e));
    const channel: ToolkitEvent[] = [];
    const onChannel = (message: unknown) => channel.push(message as ToolkitEvent);
    diagnostics.subscribe('redis-toolkit:ratelimit', onChannel);
    try {
      for (let i = 0; i < 3; i++) await limiter.consume('client');
    } finally {
      diagnostics.unsubscribe('redis-toolkit:ratelimit', onChannel);
      off();
    }
    expect(seen.map((e) => `${e.package}:${e.name}:${e.type}:${e.operation}:${e.count}`)).toEqual([
      'ratelimit:ev:allow:consume:1',
      'ratelimit:ev:allow:consume:1',
      'ratelimit:ev:block:consume:1',
    ]);
    expect(channel.map((e) => e.type)).toEqual(['allow', 'allow', 'block']);
    expect(limiter.stats()).toMatchObject({ allow: 2, block: 1, error: 0, redis: 'absent' });
  });
});
