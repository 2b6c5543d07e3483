import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRedis } from '@redis-toolkit/testing';
import { type BenchContext, machineInfo, type Scenario } from './context.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const resultsDir = join(root, 'results');

/**
 * `pnpm bench [scenario ...]`: runs the named scenarios (default: all in src/scenarios), each
 * against its own fresh redis-server, writes results/<id>.md, then rebuilds RESULTS.md from every
 * results file so one scenario can be rerun without losing the others.
 */
async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const quick = process.env.BENCH_QUICK === '1';
  const files = readdirSync(join(here, 'scenarios')).filter((f) => /\.ts$/.test(f));
  const selected = files.filter(
    (f) => wanted.length === 0 || wanted.includes(f.replace(/\.ts$/, '')),
  );
  if (wanted.length && selected.length !== wanted.length) {
    throw new Error(`unknown scenario in ${wanted.join(', ')}; available: ${files.join(', ')}`);
  }
  const machine = machineInfo();
  for (const file of selected) {
    const mod = (await import(pathToFileURL(join(here, 'scenarios', file)).href)) as {
      scenario: Scenario;
    };
    const { scenario } = mod;
    const redis = await startRedis();
    const extra: { stop(): Promise<void> }[] = [];
    const ctx: BenchContext = {
      redis,
      quick,
      timeMs: quick ? 300 : Number(process.env.BENCH_TIME_MS ?? 3000),
      startRedis: async (options) => {
        const server = await startRedis(options);
        extra.push(server);
        return server;
      },
    };
    console.log(`# ${scenario.title}`);
    try {
      const body = await scenario.run(ctx);
      const header = [
        `## ${scenario.title}`,
        '',
        `Command: \`pnpm bench ${scenario.id}\` · ${machine.date} · Node ${machine.node} · redis-server ${machine.redis} · ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB`,
        '',
      ].join('\n');
      const section = `${header}${body.trim()}\n`;
      console.log(section);
      if (!quick) writeFileSync(join(resultsDir, `${scenario.id}.md`), section);
    } finally {
      await Promise.all(extra.map((s) => s.stop()));
      await redis.stop();
    }
  }
  if (!quick) assembleResults();
}

function assembleResults(): void {
  const sections = readdirSync(resultsDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => readFileSync(join(resultsDir, f), 'utf8').trim());
  const intro = [
    '# Benchmark results',
    '',
    'Every figure below was produced by the command shown with it, on the machine shown, with a',
    'redis-server started by the benchmark on loopback. Ratios compare rows measured in the same run',
    'against the same server; absolute numbers vary between machines, ratios much less. Rerun all',
    'with `pnpm bench`, or one scenario with `pnpm bench <id>` (`BENCH_QUICK=1` for a smoke run that',
    'records nothing). Figures are single runs on a shared 2-core VM: treat differences under ~10% as noise.',
    '',
  ].join('\n');
  writeFileSync(join(root, 'RESULTS.md'), `${intro}\n${sections.join('\n\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
