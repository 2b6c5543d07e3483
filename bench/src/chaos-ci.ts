import { runChaos } from './chaos/run-suite.js';

/**
 * The short chaos run for `pnpm test` (bench's `test` script): kill, pause, instance death and
 * the malformed burst, 5 s of load each. Exits 1 when an acknowledged logout is lost (some
 * instance still honours it afterwards), when instance A acknowledged no logout during the
 * instance-death outage (the outbox was not exercised), or the malformed burst gets a 5xx or no
 * answer. Other
 * figures (logins lost, rotations, latency) are printed, not enforced: they are the full
 * scenario's (`pnpm bench chaos`) to report.
 */
const FAULTS = process.env.CHAOS_FAULTS?.split(',').map((f) => f.trim()) ?? [
  'kill',
  'pause',
  'instance-death',
  'malformed',
];

async function main(): Promise<void> {
  const started = Date.now();
  const { results, markdown } = await runChaos({
    faults: FAULTS,
    durationMs: Number(process.env.CHAOS_DURATION_MS ?? 5_000),
    warmupMs: 1_000,
    concurrency: 10,
  });
  console.log(`\n${markdown}\n`);
  const failures: string[] = [];
  for (const r of results) {
    const v = r.verdict;
    if (v.logoutsLost > 0)
      failures.push(
        `${r.fault.id}: ${v.logoutsLost} of ${v.logoutsAcknowledged} acknowledged logouts lost`,
      );
    const revoked = r.outageRevocations;
    if (revoked && revoked.acknowledged === 0)
      failures.push(
        `${r.fault.id}: A acknowledged no logout during the outage, so the outbox was not exercised`,
      );
    if (revoked && revoked.lost > 0)
      failures.push(
        `${r.fault.id}: ${revoked.lost} of ${revoked.acknowledged} logouts A acknowledged during the outage are not enforced after recovery`,
      );
    const burst = r.window.malformed;
    if (burst && burst.fiveXx > 0)
      failures.push(
        `${r.fault.id}: ${burst.fiveXx} of ${burst.sent} malformed requests got a 5xx or no answer`,
      );
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (failures.length) {
    console.error(`chaos-ci FAILED after ${seconds} s:\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log(
    `chaos-ci passed in ${seconds} s: no acknowledged logout lost (outage logouts on a dead instance included), no 5xx in the malformed burst`,
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(
    `chaos-ci could not run: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
