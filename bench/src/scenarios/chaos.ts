import { FAULTS } from '../chaos/faults.js';
import { runChaos } from '../chaos/run-suite.js';
import type { BenchContext, Scenario } from '../context.js';

/**
 * End-to-end faults against two real app processes. It starts its own Redis topologies (the
 * runner's server is not used) and a throwaway PostgreSQL schema when one is reachable.
 * `CHAOS_FAULTS=kill,pause` runs a subset; `CHAOS_DURATION_MS` changes the per-fault load time.
 */
export const scenario: Scenario = {
  id: 'chaos',
  title:
    'Chaos: Redis kill, pause, Sentinel failover, instance death and malformed input, end to end',
  async run(ctx: BenchContext): Promise<string> {
    const durationMs = Number(process.env.CHAOS_DURATION_MS ?? (ctx.quick ? 5_000 : 20_000));
    const faults =
      process.env.CHAOS_FAULTS?.split(',').map((f) => f.trim()) ?? FAULTS.map((f) => f.id);
    const { markdown } = await runChaos({
      faults,
      durationMs,
      warmupMs: ctx.quick ? 1_000 : 3_000,
      concurrency: 10,
    });
    return markdown;
  },
};
