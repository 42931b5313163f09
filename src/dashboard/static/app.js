// The dashboard page: polls the /api endpoints and redraws in place. Every value reaches the DOM
// through textContent (never innerHTML), so nothing the server reports can inject markup.
(() => {
  const FALLBACK_REFRESH_MS = 5000;
  const COLORS = ['#3b82f6', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#14b8a6', '#f97316', '#64748b'];
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  let refreshMs = FALLBACK_REFRESH_MS;
  let reloading = false;

  const $ = (id) => document.getElementById(id);

  /** An element with text or child nodes: `el('td', { className: 'num' }, '42')`. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props ?? {});
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  async function getJson(path) {
    const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (res.status === 401 && !reloading) {
      // The session ended: reloading shows the login form (or the browser's basic-auth prompt).
      reloading = true;
      location.reload();
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const e = body?.error;
      throw new Error(e ? `${e.message}${e.hint ? ` (${e.hint})` : ''}` : `HTTP ${res.status}`);
    }
    return body;
  }

  function panelMessage(panelId, className, text) {
    const p = $(panelId)?.querySelector(`p.${className}`);
    if (!p) return;
    p.textContent = text ?? '';
    p.hidden = !text;
  }

  /** Run one panel's update; a failure shows in that panel and leaves the others alone. */
  async function panel(panelIds, path, render) {
    const ids = Array.isArray(panelIds) ? panelIds : [panelIds];
    try {
      const data = await getJson(path);
      for (const id of ids) panelMessage(id, 'error', '');
      render(data);
    } catch (err) {
      for (const id of ids) panelMessage(id, 'error', String(err.message ?? err));
    }
  }

  function ago(iso) {
    if (!iso) return 'never';
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 90) return `${Math.round(s)} s ago`;
    if (s < 5400) return `${Math.round(s / 60)} min ago`;
    if (s < 172800) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} days ago`;
  }

  function show(value) {
    if (value === null || value === undefined) return '—';
    if (typeof value === 'number') return number.format(value);
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  function badge(status) {
    return el('span', { className: `badge ${status}` }, status);
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString(undefined, { hour12: false });
  }

  // ---- charts ----

  function chart(id, type, labels, datasets, extra = {}) {
    const existing = Chart.getChart(id);
    if (existing) {
      existing.data.labels = labels;
      existing.data.datasets.forEach((d, i) => {
        d.data = datasets[i]?.data ?? [];
      });
      existing.update('none');
      return;
    }
    new Chart($(id), {
      type,
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: type === 'doughnut' } },
        ...extra,
      },
    });
  }

  function line(label, data, color) {
    return {
      label,
      data,
      borderColor: color,
      backgroundColor: `${color}33`,
      fill: true,
      pointRadius: 0,
      tension: 0.2,
    };
  }

  // ---- panels ----

  function renderOverview(o) {
    const s = o.server;
    $('server').textContent =
      `${s.label} ${s.version} · ${s.target} · up ${ago(new Date(Date.now() - s.uptimeSeconds * 1000).toISOString()).replace(' ago', '')}`;
    if (Number.isInteger(o.refreshMs) && o.refreshMs > 0) refreshMs = o.refreshMs;
    $('logout').hidden = o.auth !== 'token';
  }

  function renderHealth(h) {
    const overall = $('overall');
    overall.className = `badge ${h.status}`;
    overall.textContent = h.status;
    const body = $('health-table').tBodies[0];
    body.replaceChildren(
      ...h.checks.map((c) =>
        el(
          'tr',
          { className: `check-${c.status}` },
          el('td', {}, c.title),
          el('td', {}, badge(c.status)),
          el('td', { className: 'num' }, `${show(c.value)}${c.unit ? ` ${c.unit}` : ''}`),
          el('td', {}, show(c.threshold)),
          el('td', {}, c.hint),
        ),
      ),
    );
  }

  function renderSeries(s) {
    const labels = s.samples.map((p) => clock(p.at));
    const x = { ticks: { maxTicksLimit: 6, maxRotation: 0 } };
    $('max-connections').textContent = s.maxConnections ? `(max ${s.maxConnections})` : '';
    chart(
      'chart-connections',
      'line',
      labels,
      [
        line(
          'connections',
          s.samples.map((p) => p.connections),
          COLORS[0],
        ),
      ],
      {
        scales: { x, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    );
    chart(
      'chart-qps',
      'line',
      labels,
      [
        line(
          'queries/s',
          s.samples.map((p) => p.qps),
          COLORS[1],
        ),
      ],
      {
        scales: { x, y: { beginAtZero: true } },
      },
    );
    chart(
      'chart-threads',
      'line',
      labels,
      [
        line(
          'threads running',
          s.samples.map((p) => p.threadsRunning),
          COLORS[2],
        ),
      ],
      {
        scales: { x, y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    );
    const err = s.error ? `sampling failed: ${s.error.message}` : '';
    for (const id of ['panel-connections', 'panel-qps', 'panel-threads']) panelMessage(id, 'error', err);
  }

  function renderKpis(k) {
    const ids = ['panel-revenue', 'panel-segments', 'panel-products'];
    for (const id of ids) panelMessage(id, 'note', k.available ? '' : k.reason);
    if (!k.available) return;
    if (k.revenueByDay.length === 0)
      panelMessage('panel-revenue', 'note', 'no sales in the reports yet (has the ETL run?)');
    chart(
      'chart-revenue',
      'bar',
      k.revenueByDay.map((d) => d.date),
      [{ label: 'net revenue', data: k.revenueByDay.map((d) => d.netRevenue), backgroundColor: COLORS[0] }],
      {
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => money.format(c.parsed.y) } },
        },
      },
    );
    chart(
      'chart-segments',
      'doughnut',
      k.segments.map((s) => s.segment),
      [{ label: 'customers', data: k.segments.map((s) => s.customers), backgroundColor: COLORS }],
    );
    chart(
      'chart-products',
      'bar',
      k.topProducts.map((p) => p.name),
      [{ label: 'revenue', data: k.topProducts.map((p) => p.revenue), backgroundColor: COLORS[4] }],
      { indexAxis: 'y', plugins: { legend: { display: false } } },
    );
  }

  function renderQueries(q) {
    $('queries-source').textContent = `(${q.source})`;
    panelMessage('panel-queries', 'note', q.note ?? '');
    $('queries-table').tBodies[0].replaceChildren(
      ...q.rows.map((r) =>
        el(
          'tr',
          {},
          el(
            'td',
            { className: 'sql', title: r.query },
            r.query.length > 300 ? `${r.query.slice(0, 299)}…` : r.query,
          ),
          el('td', { className: 'num' }, show(r.calls)),
          el('td', { className: 'num' }, show(r.totalMs)),
          el('td', { className: 'num' }, show(r.avgMs)),
          el('td', { className: 'num' }, show(r.rowsExamined)),
          el('td', { className: 'num' }, show(r.rowsSent)),
          el('td', { className: 'num' }, show(r.fullScans)),
        ),
      ),
    );
  }

  function list(pairs) {
    return el('dl', {}, ...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  function renderReplication(r) {
    const box = $('replication');
    if (r.role !== 'replica') {
      const replicas = r.replicas === 1 ? '1 replica connected' : `${r.replicas} replicas connected`;
      box.replaceChildren(el('p', {}, `Not a replica (${replicas}).`));
      return;
    }
    const running = (yes) => (yes ? 'running' : 'stopped');
    box.replaceChildren(
      ...r.channels.map((c) =>
        list([
          ['channel', c.name || '(default)'],
          ['source', c.source],
          ['IO thread', running(c.ioRunning)],
          ['SQL thread', running(c.sqlRunning)],
          ['lag', c.lagSeconds === null ? 'unknown' : `${c.lagSeconds} s`],
          ['GTID gap', c.gtidGap === null ? 'unknown' : `${c.gtidGap} transactions`],
          ['last error', c.lastError ?? 'none'],
        ]),
      ),
    );
  }

  function describeBackup(b) {
    if (!b) return 'none';
    if (!b.complete) return `${b.id} (incomplete${b.problem ? `: ${b.problem}` : ''})`;
    return `${b.id} · ${b.type} · ${ago(b.finishedAt)}${b.bytes === null ? '' : ` · ${number.format(b.bytes / 1048576)} MiB`}`;
  }

  function renderBackups(b) {
    $('backups').replaceChildren(
      list([
        ['backups', String(b.count)],
        ['latest', describeBackup(b.latest)],
        [
          'last verified full',
          b.lastVerifiedFull
            ? `${b.lastVerifiedFull.id} · verified ${ago(b.lastVerifiedFull.verifiedAt)}`
            : 'none',
        ],
      ]),
    );
  }

  function renderEtl(e) {
    panelMessage('panel-etl', 'note', e.available ? '' : e.reason);
    if (!e.available) {
      $('etl').replaceChildren();
      return;
    }
    const pipelines = el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['Pipeline', 'Built', 'Pending keys', 'Last run', 'Last full'].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        ...e.pipelines.map((p) =>
          el(
            'tr',
            {},
            el('td', {}, p.pipeline),
            el('td', {}, p.built ? 'yes' : 'no'),
            el('td', { className: 'num' }, show(p.pendingKeys)),
            el('td', {}, ago(p.lastRunAt)),
            el('td', {}, ago(p.lastFullAt)),
          ),
        ),
      ),
    );
    const failed = e.runs.filter((r) => r.status === 'failed').length;
    const last = e.runs[0];
    const summary = el(
      'p',
      { className: 'muted' },
      `${e.changeLogRows} captured changes waiting · last run ${last ? `${last.pipeline} ${last.status} ${ago(last.finishedAt ?? last.startedAt)}` : 'never'} · ${failed} failed of the last ${e.runs.length}`,
    );
    $('etl').replaceChildren(pipelines, summary);
  }

  async function refresh() {
    await Promise.all([
      getJson('/api/overview').then(renderOverview, (err) => {
        $('server').textContent = `server unavailable: ${err.message ?? err}`;
      }),
      panel('panel-health', '/api/health', renderHealth),
      panel(['panel-connections', 'panel-qps', 'panel-threads'], '/api/series', renderSeries),
      panel(['panel-revenue', 'panel-segments', 'panel-products'], '/api/kpis', renderKpis),
      panel('panel-queries', '/api/queries', renderQueries),
      panel('panel-replication', '/api/replication', renderReplication),
      panel('panel-backups', '/api/backups', renderBackups),
      panel('panel-etl', '/api/etl', renderEtl),
    ]);
    $('updated').textContent = `updated ${new Date().toLocaleTimeString(undefined, { hour12: false })}`;
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
  }

  async function loop() {
    await refresh();
    setTimeout(loop, refreshMs);
  }

  loop();
})();
