import { drawLines } from './chart.js';
import type { StatusSnapshot as Snapshot } from './types.js';

const COLORS = ['#2f6fde', '#1f9d55', '#c77c02', '#8e44ad', '#d0312d'];
const SPAN_MS = 5 * 60_000;
const POLL_MS = 2_000;
const TOKEN_KEY = 'status-token';

const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector(sel) as T;
const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
const time = (ms: number) => new Date(ms).toLocaleTimeString();
const ago = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};
const window = (ms: number) =>
  ms % 3_600_000 === 0
    ? `${ms / 3_600_000}h`
    : ms % 60_000 === 0
      ? `${ms / 60_000}m`
      : `${ms / 1000}s`;
const pct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)} %`);
const seenAlerts = new Set<number>();

function renderRedis(s: Snapshot) {
  const r = s.redis;
  const state = $('#redis-state');
  const label = r.outage ? 'redis outage' : r.available ? `redis ${r.status}` : `redis ${r.status}`;
  state.textContent = label;
  state.className = `pill ${r.outage || r.status === 'disabled' ? 'bad' : r.available ? 'ok' : 'warn'}`;
  state.dataset.state = r.outage ? 'outage' : r.available ? 'up' : r.status;

  const banner = $('#outage-banner');
  if (r.outage) {
    banner.className = 'on';
    banner.innerHTML = `Redis is DOWN since ${esc(time(r.outage.since))} (${esc(ago(s.now - r.outage.since))}) — ${esc(r.outage.reason)}<small>${esc(r.outage.message)} · the API keeps serving: caches and rate limits from memory, sessions by policy, no new school tokens until it is back.</small>`;
  } else if (r.status === 'disabled') {
    banner.className = 'on';
    banner.innerHTML = `Redis is not configured: memory-only mode<small>Every package answers from this process's memory. Set REDIS_URL to use Redis.</small>`;
  } else {
    banner.className = '';
    banner.textContent = '';
  }

  const last = r.latency.at(-1);
  $('#redis-latency').textContent =
    last?.latencyMs != null ? `${last.latencyMs.toFixed(1)} ms` : last ? 'no answer' : '–';
  $('#redis-target').textContent = r.target;
  $('#redis-db').textContent = `database: ${s.database.kind}`;
  const answered = r.latency.filter((p) => p.latencyMs !== null).map((p) => p.latencyMs as number);
  const max = Math.max(1, ...answered);
  drawLines(
    $<SVGSVGElement>('#latency-chart'),
    [{ color: '#2f6fde', points: r.latency.map((p) => ({ t: p.t, v: p.latencyMs })) }],
    { spanMs: SPAN_MS, now: s.now, max: max * 1.2 },
  );
  $('#latency-range').textContent = answered.length
    ? `last ${ago(Math.min(SPAN_MS, s.now - (r.latency[0]?.t ?? s.now)))}: min ${Math.min(...answered).toFixed(1)} ms · max ${max.toFixed(1)} ms · ${r.latency.length - answered.length} unanswered (red)`
    : 'no answer yet';

  $('#incidents').innerHTML = r.incidents.length
    ? [...r.incidents]
        .reverse()
        .map(
          (i) =>
            `<li><span class="pill ${i.until ? 'warn' : 'bad'}">${i.until ? 'resolved' : 'ongoing'}</span> ${esc(time(i.since))} · ${esc(ago((i.until ?? s.now) - i.since))} · ${esc(i.reason)}<br><span class="muted">${esc(i.message)}</span></li>`,
        )
        .join('')
    : '<li class="muted">none since start</li>';
}

function renderCaches(s: Snapshot) {
  const series = s.caches.map((c, i) => ({
    color: COLORS[i % COLORS.length] as string,
    points: c.history.map((h) => ({ t: h.t, v: h.ratio === null ? null : h.ratio * 100 })),
  }));
  // A window without lookups is not an outage: drop those points instead of drawing red ticks.
  for (const line of series) line.points = line.points.filter((p) => p.v !== null);
  drawLines($<SVGSVGElement>('#ratio-chart'), series, { spanMs: SPAN_MS, now: s.now, max: 100 });
  $('#ratio-legend').innerHTML = s.caches
    .map(
      (c, i) =>
        `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(c.name)}</span>`,
    )
    .join('');
  $('#caches tbody').innerHTML = s.caches.length
    ? s.caches
        .map(
          (c) =>
            `<tr data-cache="${esc(c.name)}"><td>${esc(c.name)}${c.degraded ? ' <span class="pill bad">memory</span>' : ''}</td><td class="ratio">${pct(c.ratio)}</td><td class="hit">${c.hit}</td><td class="miss">${c.miss}</td><td class="stale">${c.stale}</td><td class="fallback">${c.fallback}</td><td class="error">${c.error}</td></tr>`,
        )
        .join('')
    : '<tr><td colspan="7" class="muted">caches are off (CACHE_ENABLED=false)</td></tr>';
}

function renderLimiters(s: Snapshot) {
  $('#limiters tbody').innerHTML = s.limiters
    .map(
      (l) =>
        `<tr data-limiter="${esc(l.name)}"><td>${esc(l.name)}</td><td>${l.limit} / ${window(l.windowMs)}</td><td class="allow">${l.allow}</td><td class="block">${l.block}</td><td class="fallback">${l.fallback}</td></tr>`,
    )
    .join('');
  $('#limiters-note').textContent = s.limiters.length
    ? `during an outage: ${s.limiters[0]?.onRedisError ?? ''} (RATE_LIMIT_ON_REDIS_ERROR)`
    : 'rate limits are off (RATE_LIMIT_ENABLED=false)';
}

function renderSessions(s: Snapshot) {
  const x = s.sessions;
  $('#sessions-active').textContent = x.active === null ? '?' : String(x.active);
  $('#sessions-detail').textContent =
    `loads: ${x.hit} found · ${x.miss} not found · ${x.fallback} from memory · ${x.error} errors · ${x.memoryEntries} held in memory · store ${x.redis}`;
  $('#presence-source').textContent = `(${s.presence.online.length}, from ${s.presence.source})`;
  $('#presence').innerHTML = s.presence.online.length
    ? s.presence.online
        .map(
          (p) =>
            `<li>carer #${p.carerId} <span class="muted">seen ${esc(time(Date.parse(p.lastSeen)))}</span></li>`,
        )
        .join('')
    : '<li class="muted">nobody online (care heartbeats: POST /care/presence/heartbeat)</li>';
}

function renderBlacklist(s: Snapshot) {
  const b = s.blacklist;
  const pill = $('#blacklist-sync');
  pill.textContent = b.inSync ? 'in sync' : 'not in sync';
  pill.className = `pill ${b.inSync ? 'ok' : 'bad'}`;
  $('#blacklist-detail').textContent = `mirror of Redis · store ${b.redis}`;
  const rows: [string, number][] = [
    ['revocations', b.revocation],
    ['held in memory', b.localEntries],
    ['resyncs', b.resyncs],
    ['replayed from the outbox', b.replayed],
    ['answers without Redis', b.fallback],
  ];
  $('#blacklist tbody').innerHTML = rows
    .map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`)
    .join('');
}

function renderJobs(s: Snapshot) {
  const box = $('#jobs');
  if (!s.jobs) {
    box.textContent = 'no jobs package wired into this app';
    return;
  }
  const states = [...new Set(Object.values(s.jobs.queues).flatMap((c) => Object.keys(c)))];
  box.innerHTML = `<table><thead><tr><th>queue</th>${states.map((k) => `<th>${esc(k)}</th>`).join('')}</tr></thead><tbody>${Object.entries(
    s.jobs.queues,
  )
    .map(
      ([q, c]) =>
        `<tr><td>${esc(q)}</td>${states.map((k) => `<td>${c[k] ?? 0}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function renderAlerts(s: Snapshot) {
  const a = s.alerts;
  $('#alerts-meta').textContent =
    `(${a.streams} open SSE streams · ${a.subscribed ? 'subscribed across instances' : 'this instance only'})`;
  if (!a.recent.length) return;
  $('#alerts').innerHTML = [...a.recent]
    .reverse()
    .map((x) => {
      const fresh = !seenAlerts.has(x.id);
      seenAlerts.add(x.id);
      return `<li class="${fresh ? 'fresh' : ''}"><span class="sev-${esc(x.severity)}">${esc(x.severity)}</span> ${esc(time(x.receivedAt))} · carer #${x.carerId} · client #${x.clientId}: ${esc(x.message)}</li>`;
    })
    .join('');
}

function render(s: Snapshot) {
  renderRedis(s);
  renderCaches(s);
  renderLimiters(s);
  renderSessions(s);
  renderBlacklist(s);
  renderJobs(s);
  renderAlerts(s);
  $('#footer').textContent =
    `${s.environment} · up ${ago(s.now - s.startedAt)} · updated ${time(s.now)} · every number from the packages' stats() and the connection runtime`;
  document.body.dataset.updated = String(s.now);
}

async function poll(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  try {
    const res = await fetch('/status.json', {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      cache: 'no-store',
    });
    if (res.status === 401 || res.status === 403) {
      $('#auth').className = 'on';
      return;
    }
    $('#auth').className = '';
    render((await res.json()) as Snapshot);
  } catch {
    const state = $('#redis-state');
    state.textContent = 'api unreachable';
    state.className = 'pill bad';
  }
}

$('#auth-save').addEventListener('click', () => {
  sessionStorage.setItem(TOKEN_KEY, $<HTMLInputElement>('#auth-token').value.trim());
  void poll();
});

const loop = () => void poll().finally(() => setTimeout(loop, POLL_MS));
loop();
