import { table } from '../context.js';
import type { Sample } from './http.js';
import type { FaultResult } from './suite.js';

export const HANG_TARGET_MS = 150;

const quantile = (sorted: number[], q: number) =>
  sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number)
    : Number.NaN;

const ms = (v: number | undefined) =>
  v === undefined || Number.isNaN(v)
    ? '—'
    : v >= 1000
      ? `${(v / 1000).toFixed(2)} s`
      : `${v.toFixed(0)} ms`;

export interface FaultFigures {
  requests: number;
  byStatus: string;
  p50: number;
  p99: number;
  max: number;
  /**
   * Requests that started while Redis hung, after that instance's first such request had finished;
   * logins excluded (their scrypt is CPU-bound and would hide the Redis cost), with the same
   * requests' p99 before the fault as the machine's own floor.
   */
  hang:
    | { p50: number; p99: number; max: number; n: number; beforeP99: number; slowest: string }
    | undefined;
  fiveXx: number;
  noAnswer: number;
}

export function figures(result: FaultResult): FaultFigures {
  const load = result.rec.samples.filter((s) => s.family !== 'verify');
  const counts = new Map<number, number>();
  for (const s of load) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const byStatus = [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status === 0 ? 'none' : status}: ${n}`)
    .join(', ');
  const sorted = load.map((s) => s.ms).sort((a, b) => a - b);
  let hang: FaultFigures['hang'];
  if (result.window.hang) {
    const { start, end } = result.window;
    const after: number[] = [];
    const slow: Sample[] = [];
    const byInstance = new Map<string, Sample[]>();
    for (const s of load)
      if (s.start >= start && s.start <= end)
        byInstance.set(s.instance, [...(byInstance.get(s.instance) ?? []), s]);
    for (const list of byInstance.values()) {
      list.sort((x, y) => x.start - y.start);
      const first = list[0];
      if (!first) continue;
      const firstDone = first.start + first.ms;
      for (const s of list) if (s.start >= firstDone && s.op !== 'login') after.push(s.ms);
      for (const s of list) if (s.start >= firstDone && s.op !== 'login') slow.push(s);
    }
    after.sort((a, b) => a - b);
    const before = load
      .filter((s) => s.start < start && s.op !== 'login')
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    hang = {
      p50: quantile(after, 0.5),
      p99: quantile(after, 0.99),
      max: after.at(-1) ?? Number.NaN,
      n: after.length,
      beforeP99: quantile(before, 0.99),
      slowest: slowestOps(slow),
    };
  }
  return {
    requests: load.length,
    byStatus,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    hang,
    fiveXx: load.filter((s) => s.status >= 500).length,
    noAnswer: load.filter((s) => s.status === 0).length,
  };
}

export function markdown(results: FaultResult[], setup: string[]): string {
  const rows: (string | number)[][] = [
    [
      'fault',
      'requests',
      'p50 / p99 / max',
      `hang p50 / p99 / max after 1st, logins excluded (target p99 ≤ ${HANG_TARGET_MS} ms)`,
      'logouts lost / acked',
      'rotations lost / acked',
      'logins lost / kept',
      'time to ready',
      '5xx',
      'no answer',
      'warn+ lines',
    ],
  ];
  const statusRows: (string | number)[][] = [['fault', 'requests by status (load only)']];
  const notes: string[] = [];
  for (const r of results) {
    const f = figures(r);
    const v = r.verdict;
    const hang = f.hang
      ? `${ms(f.hang.p50)} / ${ms(f.hang.p99)} / ${ms(f.hang.max)} (n=${f.hang.n}; p99 before the fault ${ms(f.hang.beforeP99)})${f.hang.p99 > HANG_TARGET_MS ? ' ✗' : ''}`
      : '—';
    const malformed = r.window.malformed
      ? ` (burst: ${r.window.malformed.fiveXx} of ${r.window.malformed.sent} got 5xx/no answer)`
      : '';
    rows.push([
      r.fault.title,
      f.requests,
      `${ms(f.p50)} / ${ms(f.p99)} / ${ms(f.max)}`,
      hang,
      `${v.logoutsLost} / ${v.logoutsAcknowledged}${v.logoutsLost ? ' ✗' : ''}`,
      `${v.rotationsLost} / ${v.rotationsAcknowledged}${v.rotationsLost ? ' ✗' : ''}`,
      `${v.loginsLost} / ${v.loginsKept}${v.loginsLost ? ' ✗' : ''}`,
      r.fault.id === 'malformed' ? '—' : ms(r.timeToReadyMs),
      `${f.fiveXx}${malformed}`,
      f.noAnswer,
      Object.entries(r.warn)
        .map(([name, lines]) => `${name}: ${lines.length}`)
        .join(', '),
    ]);
    statusRows.push([r.fault.title, f.byStatus]);
    const extra = [
      ...r.notes,
      ...(f.hang ? [`slowest during the hang: ${f.hang.slowest}`] : []),
      ...v.examples,
      ...(r.window.malformed?.examples ?? []),
    ];
    const warnSample = Object.entries(r.warn).flatMap(([name, lines]) => {
      const counts = new Map<string, number>();
      for (const m of lines.map(summariseLog)) counts.set(m, (counts.get(m) ?? 0) + 1);
      return [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([m, n]) => `${name} logged ${n}×: ${m}`);
    });
    if (extra.length || warnSample.length)
      notes.push(
        `- **${r.fault.title}**: ${[...extra, ...warnSample].map((l) => l.replace(/\|/g, '\\|')).join('; ')}`,
      );
  }
  return [
    ...setup,
    '',
    table(rows),
    '',
    table(statusRows),
    '',
    "Definitions: *lost* = an acknowledged (2xx) logout whose access token still gets a 2xx from `/school/me` or whose refresh token can still be exchanged, or whose care cookie still opens `/care/me`, on either instance; a rotated-away refresh token that can be exchanged again; a kept acknowledged login refused by either instance. *Hang after 1st*: requests that started while Redis was stopped, after the first such request on the same instance had finished, logins excluded (scrypt is CPU-bound); ✗ when their p99 is over the target. *Time to ready*: from the fault end to the first `/ready` 200 with `checks.redis.healthy` on every instance (a PING through the app's client). *No answer*: refused, reset or no reply within 15 s. *warn+*: pino lines at level ≥ 40 plus any non-JSON stderr line.",
    '',
    ...notes,
  ].join('\n');
}

function summariseLog(line: string): string {
  try {
    const parsed = JSON.parse(line) as {
      msg?: string;
      component?: string;
      err?: { message?: string };
    };
    const msg = `${parsed.component ? `[${parsed.component}] ` : ''}${parsed.msg ?? ''}${parsed.err?.message ? ` (${parsed.err.message})` : ''}`;
    return msg.slice(0, 160);
  } catch {
    return line.slice(0, 160);
  }
}

/** The three ops with the highest p99, e.g. `school me p99 1.2 s (n=40, 503: 12)`. */
function slowestOps(samples: Sample[]): string {
  const byOp = new Map<string, Sample[]>();
  for (const s of samples) {
    const key = `${s.family} ${s.op}`;
    byOp.set(key, [...(byOp.get(key) ?? []), s]);
  }
  return [...byOp]
    .map(([op, list]) => {
      const sorted = list.map((s) => s.ms).sort((a, b) => a - b);
      const statuses = new Map<number, number>();
      for (const s of list) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
      const st = [...statuses].map(([k, n]) => `${k || 'none'}: ${n}`).join(', ');
      return {
        op,
        p99: quantile(sorted, 0.99),
        line: `${op} p99 ${ms(quantile(sorted, 0.99))} (n=${list.length}; ${st})`,
      };
    })
    .sort((a, b) => b.p99 - a.p99)
    .slice(0, 3)
    .map((o) => o.line)
    .join(', ');
}
