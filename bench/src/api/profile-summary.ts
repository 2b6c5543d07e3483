// Reads a V8 .cpuprofile (what the bench servers write on `profileStop`) and says where the busy
// time went: by owner (a package, the app, Node's internals, GC) and by function, self time only.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Who a frame belongs to: `express`, `@redis-toolkit/session`, `app`, `node:internal`, `(gc)`. */
export function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pnpm = /node_modules\/\.pnpm\/([^/]+)\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return pnpm[2] as string;
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (plain) return plain[1] as string;
  const toolkit = /\/packages\/([^/]+)\//.exec(url);
  if (toolkit) return `@redis-toolkit/${toolkit[1]}`;
  if (url.includes('/apps/api/')) return 'app';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  return url;
}

export interface ProfileShares {
  busyMs: number;
  owners: { owner: string; ms: number; share: number }[];
  functions: { name: string; owner: string; ms: number; share: number }[];
}

/** Self time per owner and per function, as shares of the busy (not idle) time. */
export function summarizeProfile(file: string, top = 25): ProfileShares {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const owners = new Map<string, number>();
  const functions = new Map<string, { owner: string; us: number }>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busyUs += us;
    const owner = ownerOf(url, functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-1)[0] ?? ''}:${lineNumber + 1}`;
    const entry = functions.get(name) ?? { owner, us: 0 };
    entry.us += us;
    functions.set(name, entry);
  }
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    busyMs: busyUs / 1000,
    owners: [...owners]
      .map(([owner, us]) => ({ owner, ms: us / 1000, share: share(us) }))
      .sort((a, b) => b.ms - a.ms),
    functions: [...functions]
      .map(([name, { owner, us }]) => ({ name, owner, ms: us / 1000, share: share(us) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

/** The summary as lines for the console. */
export function formatShares(label: string, shares: ProfileShares, requests: number): string {
  const perReq = (ms: number) =>
    requests > 0 ? `${((ms * 1000) / requests).toFixed(1)} µs/req` : '';
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  return [
    `${label}: ${shares.busyMs.toFixed(0)} ms busy, ${requests} requests (${perReq(shares.busyMs)})`,
    '  by owner (self time):',
    ...shares.owners
      .slice(0, 15)
      .map((o) => `  ${pct(o.share)} ${perReq(o.ms).padStart(14)}  ${o.owner}`),
    '  by function (self time):',
    ...shares.functions.map((f) => `  ${pct(f.share)}  ${f.name}  [${f.owner}]`),
  ].join('\n');
}
