import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { openChaosDatabase } from './database.js';
import { FAULTS } from './faults.js';
import { apiMain } from './instance.js';
import { markdown } from './report.js';
import { type FaultResult, runFault } from './suite.js';

export interface ChaosRun {
  results: FaultResult[];
  markdown: string;
}

/** Runs the named faults one after the other, each on its own fresh Redis topology and app instances. */
export async function runChaos(options: {
  faults: string[];
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  log?: (line: string) => void;
}): Promise<ChaosRun> {
  const log = options.log ?? ((line: string) => console.log(line));
  const unknown = options.faults.filter((id) => !FAULTS.some((f) => f.id === id));
  if (unknown.length)
    throw new Error(
      `unknown fault ${unknown.join(', ')}; available: ${FAULTS.map((f) => f.id).join(', ')}`,
    );
  const database = await openChaosDatabase();
  log(`  database: ${database.description}`);
  const results: FaultResult[] = [];
  try {
    for (const fault of FAULTS.filter((f) => options.faults.includes(f.id))) {
      log(`  ${fault.id}: ${fault.title}`);
      results.push(await runFault(fault, { ...options, database, log }));
    }
  } finally {
    await database.drop();
  }
  const setup = [
    `App: ${appIdentity()}.`,
    `Two app instances (\`node apps/api/dist/main.js\`, NODE_ENV=${process.env.CHAOS_NODE_ENV ?? 'production'}, limits raised far above the load) on ${database.description}.`,
    'Each fault runs on a fresh topology: a standalone redis-server with `appendonly yes, appendfsync always` (kill, pause, instance death, malformed) or one master, one replica and three sentinels (failover).',
    `Load: ${options.concurrency} concurrent loops for ${(options.durationMs / 1000).toFixed(0)} s from the fault's start (${(options.warmupMs / 1000).toFixed(0)} s before it), alternating instances: dental cached reads, school login → /me → refresh → logout (JWT), care login → /me → logout (cookie session); one cycle in three keeps its login. A school login refused with 503 (Redis down: no new credentials) logs out, on A, a pair set aside before the outage (a pool of up to one per loop), so logouts reach the outbox during an outage.`,
  ];
  return { results, markdown: markdown(results, setup) };
}

/** Which app build ran: the commit of the checkout holding apiMain, and whether the app or packages had uncommitted changes. */
function appIdentity(): string {
  try {
    const cwd = dirname(apiMain);
    const git = (...args: string[]) => execFileSync('git', args, { cwd }).toString().trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty =
      git('status', '--porcelain', '--', '../../../apps/api/src', '../../../packages').length > 0;
    return `checkout at run time ${head} (the dist may be older)${dirty ? ' plus uncommitted changes in apps/api/src or packages/' : ''}`;
  } catch {
    return `${apiMain} (not in a git checkout)`;
  }
}
