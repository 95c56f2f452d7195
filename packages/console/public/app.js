/*
 * The console page: one document, four views chosen by the URL's hash (#/alerts, #/fleet, #/sensor/<device>/<metric>,
 * #/health). It opens a Server-Sent Events stream for the view on show and redraws from each pushed snapshot;
 * charts are uPlot (served by the console from its installed package).
 */

const COLORS = {
  mean: '#3e9bf0',
  median: '#b48ef0',
  min: '#30a46c',
  max: '#e5484d',
  firing: '#e5484d',
  resolved: '#30a46c',
  produced: '#3e9bf0',
  processed: '#30a46c',
  lag: '#f5a524',
};
const SEVERITY_COLORS = { critical: '#e5484d', warning: '#f5a524', info: '#3e9bf0' };

const $ = (id) => document.getElementById(id);
const esc = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const fmt = (value, digits = 1) =>
  value === undefined || value === null || Number.isNaN(value)
    ? '–'
    : Math.abs(value) >= 1000
      ? Math.round(value).toLocaleString('en-US')
      : Number(value).toFixed(digits);
const time = (ms) => new Date(ms).toISOString().slice(11, 19);
const ago = (ms) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s ago`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
};
const sensorHref = (deviceId, metric) => `#/sensor/${encodeURIComponent(deviceId)}/${encodeURIComponent(metric)}`;
/** An alert's device, linked to its sensor page when it has a metric; a site or fleet alert names its group. */
const alertTarget = (a) =>
  a.deviceId === ''
    ? `<span data-testid="alert-subject">${esc(a.subject ?? 'fleet')}</span>`
    : a.metric === ''
      ? esc(a.deviceId)
      : `<a href="${sensorHref(a.deviceId, a.metric)}">${esc(a.deviceId)}</a>`;

// --- charts -------------------------------------------------------------------------------------------------
const charts = new Map();

/** Draws `data` into `el` with `opts`, reusing the chart while its series stay the same. */
function draw(el, key, makeOpts, data) {
  const existing = charts.get(el);
  if (existing && existing.key === key) {
    existing.chart.setData(data);
    return existing.chart;
  }
  if (existing) existing.chart.destroy();
  el.textContent = '';
  const chart = new uPlot(makeOpts(), data, el);
  charts.set(el, { key, chart });
  return chart;
}

function widthOf(el) {
  return Math.max(320, el.clientWidth - 14);
}

const axisStyle = { stroke: '#8a96a3', grid: { stroke: '#2a3440' }, ticks: { stroke: '#2a3440' } };

// --- live stream ----------------------------------------------------------------------------------------------
let source;
let route = { page: 'alerts' };
let fleetQuery = '';

function connect() {
  if (source) source.close();
  const params = new URLSearchParams();
  if (route.page === 'fleet') params.set('fleet', fleetQuery);
  if (route.page === 'sensor') {
    params.set('device', route.deviceId);
    params.set('metric', route.metric);
  }
  source = new EventSource(`/api/events?${params}`);
  const live = $('live');
  source.onopen = () => {
    live.textContent = 'live';
    live.className = 'live on';
  };
  source.onerror = () => {
    live.textContent = 'reconnecting…';
    live.className = 'live';
  };
  source.addEventListener('alerts', (e) => renderAlerts(JSON.parse(e.data)));
  source.addEventListener('health', (e) => renderHealth(JSON.parse(e.data)));
  source.addEventListener('fleet', (e) => renderFleet(JSON.parse(e.data)));
  source.addEventListener('sensor', (e) => renderSensor(JSON.parse(e.data)));
}

// --- alerts ---------------------------------------------------------------------------------------------------
function renderAlerts(snapshot) {
  const badge = $('firing-badge');
  badge.textContent = String(snapshot.firingCount);
  badge.className = snapshot.firingCount > 0 ? 'badge hot' : 'badge';
  if (route.page !== 'alerts') return;
  const firing = $('firing');
  firing.dataset.count = String(snapshot.firingCount);
  if (snapshot.firing.length === 0) {
    firing.innerHTML = '<p class="empty" data-testid="no-firing">Nothing is firing.</p>';
  } else {
    firing.innerHTML = snapshot.firing
      .map(
        (group) => `<div class="site" data-site="${esc(group.site)}">
          <h3>${esc(group.site)} <span class="badge">${group.alerts.length}</span></h3>
          <table><thead><tr><th>severity</th><th>rule</th><th>device</th><th>metric</th>
            <th class="num">value</th><th class="num">threshold</th><th>since</th><th>summary</th></tr></thead>
          <tbody>${group.alerts
            .map(
              (
                a,
              ) => `<tr data-testid="firing-row" data-fingerprint="${esc(a.fingerprint)}" data-device="${esc(a.deviceId)}" data-subject="${esc(a.subject)}">
                <td><span class="sev ${esc(a.severity)}">${esc(a.severity)}</span></td>
                <td>${esc(a.rule)}</td>
                <td>${alertTarget(a)}</td>
                <td>${a.metric === '' ? '' : `${esc(a.metric)} `}(${esc(a.statistic)})</td>
                <td class="num">${fmt(a.value, 2)}</td>
                <td class="num">${esc(a.condition)} ${fmt(a.threshold, 2)}</td>
                <td title="${new Date(a.startsAt).toISOString()}">${time(a.startsAt)} (${ago(a.startsAt)})</td>
                <td>${esc(a.summary)}</td></tr>`,
            )
            .join('')}</tbody></table></div>`,
      )
      .join('');
  }
  // the timeline: FIRING and RESOLVED per minute, and the latest events
  const bucketMs = 60_000;
  const from = Math.floor(snapshot.timelineFromMs / bucketMs) * bucketMs;
  const buckets = Math.ceil((snapshot.timelineToMs - from) / bucketMs) + 1;
  const xs = [];
  const fired = [];
  const resolved = [];
  for (let i = 0; i < buckets; i++) {
    xs.push((from + i * bucketMs) / 1000);
    fired.push(0);
    resolved.push(0);
  }
  for (const e of snapshot.timeline) {
    const i = Math.floor((e.atMs - from) / bucketMs);
    if (i < 0 || i >= buckets) continue;
    if (e.status === 'FIRING') fired[i] += 1;
    else resolved[i] += 1;
  }
  const el = $('timeline-chart');
  draw(
    el,
    'timeline',
    () => ({
      width: widthOf(el),
      height: 180,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [axisStyle, { ...axisStyle, label: 'events / minute' }],
      series: [
        {},
        {
          label: 'FIRING',
          stroke: COLORS.firing,
          fill: `${COLORS.firing}99`,
          paths: uPlot.paths.bars({ size: [0.4] }),
        },
        {
          label: 'RESOLVED',
          stroke: COLORS.resolved,
          fill: `${COLORS.resolved}99`,
          paths: uPlot.paths.bars({ size: [0.4], align: 1 }),
        },
      ],
    }),
    [xs, fired, resolved],
  );
  el.dataset.events = String(snapshot.timeline.length);
  $('timeline-events').innerHTML = snapshot.timeline
    .slice(-25)
    .reverse()
    .map(
      (e) => `<tr data-testid="timeline-row" data-status="${esc(e.status)}"><td>${time(e.atMs)}</td>
        <td class="status-${esc(e.status)}">${esc(e.status)}</td><td><span class="sev ${esc(e.severity)}">${esc(e.severity)}</span></td>
        <td>${esc(e.rule)}</td><td>${alertTarget(e)} ${esc(e.metric)}</td>
        <td class="num">${fmt(e.value, 2)}</td><td class="num">${fmt(e.threshold, 2)}</td></tr>`,
    )
    .join('');
}

// --- fleet ------------------------------------------------------------------------------------------------------
let fleetLayout = '';

function renderFleet(snapshot) {
  if (route.page !== 'fleet') return;
  $('fleet-count').textContent =
    snapshot.matching === snapshot.shown
      ? `${snapshot.shown} of ${snapshot.total} devices`
      : `${snapshot.shown} shown of ${snapshot.matching} matching (${snapshot.total} devices); search to narrow`;
  const metrics = [...new Set(snapshot.sites.flatMap((s) => s.devices.flatMap((d) => Object.keys(d.metrics))))].sort();
  const layout = JSON.stringify([metrics, snapshot.sites.map((s) => [s.site, s.devices.map((d) => d.deviceId)])]);
  const fleet = $('fleet');
  if (layout !== fleetLayout) {
    fleetLayout = layout;
    for (const [el, entry] of charts) {
      if (!document.body.contains(el) || fleet.contains(el)) {
        entry.chart.destroy();
        charts.delete(el);
      }
    }
    fleet.innerHTML =
      snapshot.sites.length === 0
        ? '<p class="empty">No devices yet: window stats appear here as the processor produces them.</p>'
        : snapshot.sites
            .map(
              (site) => `<div class="site"><h3>${esc(site.site)} <span class="badge">${site.devices.length}</span></h3>
          <table><thead><tr><th>device</th>${metrics.map((m) => `<th>${esc(m)} (window mean)</th>`).join('')}</tr></thead>
          <tbody>${site.devices
            .map(
              (
                d,
              ) => `<tr data-testid="fleet-row" data-device="${esc(d.deviceId)}"><td><span class="dot" data-state></span>${esc(d.deviceId)}</td>
              ${metrics
                .map(
                  (m) => `<td><a class="cell" href="${sensorHref(d.deviceId, m)}" data-metric="${esc(m)}">
                    <span class="val"></span><span class="spark"></span></a></td>`,
                )
                .join('')}</tr>`,
            )
            .join('')}</tbody></table></div>`,
            )
            .join('');
  }
  for (const site of snapshot.sites) {
    for (const d of site.devices) {
      const row = fleet.querySelector(`tr[data-device="${CSS.escape(d.deviceId)}"]`);
      if (!row) continue;
      row.querySelector('[data-state]').className = `dot ${d.state}`;
      row.dataset.state = d.state;
      for (const m of metrics) {
        const link = row.querySelector(`a[data-metric="${CSS.escape(m)}"]`);
        const cell = d.metrics[m];
        if (!link) continue;
        link.querySelector('.val').textContent = cell ? fmt(cell.latest.mean) : '–';
        link.title = cell
          ? `${cell.window}: mean ${fmt(cell.latest.mean, 2)}, median ${fmt(cell.latest.median, 2)}, min ${fmt(cell.latest.min, 2)}, max ${fmt(cell.latest.max, 2)}, ${cell.latest.count} readings`
          : '';
        if (!cell || cell.spark.length < 2) continue;
        const spark = link.querySelector('.spark');
        draw(
          spark,
          'spark',
          () => ({
            width: 90,
            height: 24,
            legend: { show: false },
            cursor: { show: false },
            axes: [{ show: false }, { show: false }],
            scales: { x: { time: false } },
            series: [{}, { stroke: SEVERITY_COLORS[d.state] ?? COLORS.mean, width: 1.5, points: { show: false } }],
          }),
          [cell.spark.map((_v, i) => i), cell.spark],
        );
      }
    }
  }
}

// --- one sensor -------------------------------------------------------------------------------------------------
function renderSensor(snapshot) {
  if (route.page !== 'sensor') return;
  $('sensor-title').textContent = `${snapshot.deviceId} · ${snapshot.metric}`;
  const specs = Object.keys(snapshot.windows).sort(
    (a, b) => snapshot.windows[b].length - snapshot.windows[a].length || a.localeCompare(b),
  );
  const spec = specs[0];
  const points = spec ? snapshot.windows[spec] : [];
  $('sensor-info').textContent = snapshot.known
    ? `site ${snapshot.site} · window ${spec} · ${points.length} stats records${specs.length > 1 ? ` (also: ${specs.slice(1).join(', ')})` : ''}`
    : 'No window stats for this sensor yet.';
  $('sensor-firing').innerHTML = snapshot.firing
    .map(
      (a) =>
        `<p data-testid="sensor-firing"><span class="sev ${esc(a.severity)}">${esc(a.severity)}</span> ${esc(a.rule)} firing since ${time(a.startsAt)}: ${esc(a.summary)}</p>`,
    )
    .join('');
  const el = $('sensor-chart');
  if (points.length === 0) {
    const existing = charts.get(el);
    if (existing) {
      existing.chart.destroy();
      charts.delete(el);
    }
    el.innerHTML = '<p class="empty">Waiting for window stats…</p>';
    el.dataset.points = '0';
    return;
  }
  const xs = points.map((p) => p.t / 1000);
  const stats = ['mean', 'median', 'min', 'max'];
  const lines = [];
  for (const t of snapshot.thresholds) {
    lines.push({
      label: `${t.rule} (${t.statistic} ${t.condition} ${t.threshold})`,
      value: t.threshold,
      dash: [8, 5],
      severity: t.severity,
    });
    if (t.clear !== undefined)
      lines.push({ label: `${t.rule} clears at ${t.clear}`, value: t.clear, dash: [2, 4], severity: t.severity });
  }
  const data = [xs, ...stats.map((s) => points.map((p) => p[s])), ...lines.map((l) => xs.map(() => l.value))];
  draw(
    el,
    `sensor:${snapshot.deviceId}:${snapshot.metric}:${spec}:${lines.map((l) => l.label).join('|')}`,
    () => ({
      width: widthOf(el),
      height: 360,
      scales: { x: { time: true } },
      axes: [axisStyle, { ...axisStyle, label: snapshot.metric }],
      series: [
        {},
        ...stats.map((s) => ({ label: s, stroke: COLORS[s], width: s === 'mean' ? 2 : 1.25 })),
        ...lines.map((l) => ({
          label: l.label,
          stroke: SEVERITY_COLORS[l.severity] ?? '#8a96a3',
          dash: l.dash,
          width: 1,
          points: { show: false },
        })),
      ],
    }),
    data,
  );
  el.dataset.points = String(points.length);
  el.dataset.thresholds = String(snapshot.thresholds.length);
}

// --- pipeline health ----------------------------------------------------------------------------------------------
function table(el, head, rows, empty) {
  el.innerHTML =
    `<thead><tr>${head.map((h, i) => `<th class="${i > 0 ? 'num' : ''}">${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${
      rows.length === 0
        ? `<tr><td class="empty" colspan="${head.length}">${esc(empty)}</td></tr>`
        : rows
            .map((r) => `<tr>${r.map((c, i) => `<td class="${i > 0 ? 'num' : ''}">${c}</td>`).join('')}</tr>`)
            .join('')
    }</tbody>`;
}

function renderHealth(h) {
  if (route.page !== 'health') return;
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  const skipped = sum(h.consumed.skipped);
  const failures = Object.entries(h.attemptsByResult)
    .filter(([k]) => k !== '2xx')
    .reduce((a, [, v]) => a + v, 0);
  const cards = [
    ['readings/s produced', fmt(h.producedPerSecond)],
    ['readings/s processed', fmt(h.processedPerSecond)],
    ['consumer lag', fmt(h.consumerLag, 0)],
    ['readings dead-lettered', fmt(sum(h.dlqByCode), 0)],
    ['webhooks delivered', fmt(h.deliveriesByOutcome.delivered ?? 0, 0)],
    ['webhook attempts failed', fmt(failures, 0)],
    ['alerts firing', fmt(h.firingCount, 0)],
    ['records skipped by the console', fmt(skipped, 0)],
  ];
  $('health-cards').innerHTML = cards
    .map(
      ([k, v]) =>
        `<div class="card" data-testid="health-card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`,
    )
    .join('');
  const xs = h.history.map((p) => p.t / 1000);
  const rates = $('health-rates');
  draw(
    rates,
    'rates',
    () => ({
      width: widthOf(rates),
      height: 200,
      scales: { x: { time: true } },
      axes: [axisStyle, { ...axisStyle, label: 'readings/s', size: 70 }],
      series: [
        {},
        { label: 'produced', stroke: COLORS.produced, width: 2 },
        { label: 'processed', stroke: COLORS.processed, width: 2 },
      ],
    }),
    [xs, h.history.map((p) => p.produced), h.history.map((p) => p.processed)],
  );
  const lag = $('health-lag');
  draw(
    lag,
    'lag',
    () => ({
      width: widthOf(lag),
      height: 160,
      scales: { x: { time: true } },
      axes: [axisStyle, { ...axisStyle, label: 'readings', size: 70 }],
      series: [{}, { label: 'lag', stroke: COLORS.lag, width: 2, fill: `${COLORS.lag}33` }],
    }),
    [xs, h.history.map((p) => p.lag)],
  );
  table(
    $('health-dlq'),
    ['reason', 'readings'],
    // the services export every known reason at 0; list those that happened
    Object.entries(h.dlqByCode)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => [esc(k), fmt(v, 0)]),
    'none',
  );
  table(
    $('health-deliveries'),
    ['outcome', 'count'],
    [
      ...Object.entries(h.deliveriesByOutcome).map(([k, v]) => [esc(k), fmt(v, 0)]),
      ...Object.entries(h.attemptsByResult)
        .filter(([k, v]) => k !== '2xx' && v > 0)
        .map(([k, v]) => [`attempts failed: ${esc(k)}`, fmt(v, 0)]),
      ...Object.entries(h.deadLettersByCode)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => [`dead-lettered: ${esc(k)}`, fmt(v, 0)]),
    ],
    'no deliveries yet',
  );
  table(
    $('health-targets'),
    ['service', 'state'],
    h.targets.map((t) => [
      `${esc(t.name)} <span class="hint">${esc(t.url)}</span>`,
      t.up ? '<span class="up">up</span>' : `<span class="down" title="${esc(t.error ?? '')}">down</span>`,
    ]),
    'no targets',
  );
}

// --- routing --------------------------------------------------------------------------------------------------------
function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'sensor' && parts.length >= 3)
    return { page: 'sensor', deviceId: decodeURIComponent(parts[1]), metric: decodeURIComponent(parts[2]) };
  if (parts[0] === 'fleet' || parts[0] === 'health') return { page: parts[0] };
  return { page: 'alerts' };
}

function show() {
  route = parseRoute();
  for (const page of document.querySelectorAll('.page')) page.hidden = page.id !== `page-${route.page}`;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === route.page);
  document.body.dataset.page = route.page;
  connect();
}

let searchTimer;
$('fleet-search').addEventListener('input', (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    fleetQuery = e.target.value;
    if (route.page === 'fleet') connect();
  }, 200);
});
window.addEventListener('hashchange', show);
show();
