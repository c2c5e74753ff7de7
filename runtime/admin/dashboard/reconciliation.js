// synchub dashboard, the Reconciliation view (loaded before dashboard.js, whose helpers it
// uses: api, el, svgNode, show, flash, handle, when, ago, number, refresh, traceLink; tickStep
// is charts.js's).
//   #/reconciliation            every reconciliation with its latest result
//   #/reconciliation/NAME[/ID]  one: its latest run (or run ID) per group, a chart of the
//                               differences over its last runs, the differing documents
// Amounts are decimal text from the hub and are never turned into floating point numbers.
'use strict';

const CLASSES = ['missing', 'extra', 'different', 'duplicated', 'unreadable', 'in_flight'];
const CLASS_HELP = {
  missing: 'in the source, not in the target',
  extra: 'in the target, not expected there',
  different: 'in both, with different values',
  duplicated: 'more than one partner',
  unreadable: 'a record that could not be read',
  in_flight: 'on its way: not a difference',
};

function resultBadge(r) {
  const badge = (kind, text) => el('span', { class: 'result result-' + kind, 'data-result': kind }, text);
  if (r.state === 'running') return badge('running', 'running…');
  if (r.state === 'queued') return badge('queued', 'queued');
  const last = r.last_run;
  if (!last) return badge('never', 'never run');
  if (last.failed) return badge('failed', 'failed');
  if (last.differences) return badge('differs', plural(last.differences, 'difference', 'differences'));
  return badge('agrees', 'agrees');
}

function inFlightNote(last) {
  return last && last.in_flight ? el('div', { class: 'muted' }, number(last.in_flight) + ' in flight') : null;
}

async function runNow(name) {
  try {
    const r = await api('POST', `/api/v1/reconciliation/${encodeURIComponent(name)}/run`);
    flash(r.status === 'queued' ? `${name}: queued after the run under way` : `${name}: running now`);
  } catch (err) { handle(err); }
  setTimeout(refresh, 500);
}

function runNowButton(r) {
  const busy = r.state === 'running' || r.state === 'queued';
  return el('button', { class: 'primary', 'data-action': 'run-now', disabled: busy,
    onclick: (e) => { e.stopPropagation(); e.target.disabled = true; runNow(r.name); } }, busy ? 'Running…' : 'Run now');
}

function scheduleText(r) {
  if (!r.every) return el('span', { class: 'muted' }, 'on request');
  return el('span', {}, 'every ' + r.every, r.next_run ? el('div', { class: 'muted', title: r.next_run }, 'next ' + new Date(r.next_run).toLocaleString()) : null);
}

async function reconciliationListView() {
  const { reconciliations } = await api('GET', '/api/v1/reconciliation');
  if (reconciliations.length === 0)
    return show(el('h1', {}, 'Reconciliation'), el('p', { class: 'empty' }, 'No reconciliation is configured (reconciliations: in synchub.yaml).'));
  const operator = app.role === 'operator';
  const open = (name) => (location.hash = '#/reconciliation/' + encodeURIComponent(name));
  show(
    el('h1', {}, 'Reconciliation'),
    el('p', { class: 'muted' }, 'Each compares two systems document by document. Click one for its groups, its history and the documents that differ (each linked to its trace through the flows).'),
    scroller(el('table', { id: 'reconciliations' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Reconciliation'), el('th', {}, 'Compares'), el('th', {}, 'Schedule'),
        el('th', {}, 'Latest run'), el('th', {}, 'Result'), operator ? el('th', {}, '') : null)),
      el('tbody', {}, reconciliations.map((r) =>
        el('tr', { class: 'clickable', 'data-reconciliation': r.name, onclick: () => open(r.name) },
          el('td', {}, el('strong', {}, r.name), r.description ? el('div', { class: 'muted' }, r.description) : null),
          el('td', {}, r.source + ' → ' + r.target),
          el('td', {}, scheduleText(r)),
          el('td', {}, r.last_run ? when(r.last_run.started) : el('span', { class: 'muted' }, 'never')),
          el('td', {}, resultBadge(r), inFlightNote(r.last_run), r.last_run && r.last_run.failed ? el('div', { class: 'error truncate', title: r.last_run.error }, r.last_run.error) : null),
          operator ? el('td', {}, runNowButton(r)) : null))))));
}

// ---- exact decimal differences ----------------------------------------------------

const DECIMAL = /^[-+]?\d+(\.\d+)?$/;
const scaleOf = (text) => (text.includes('.') ? text.length - text.indexOf('.') - 1 : 0);

function scaled(text, scale) {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const value = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -value : value;
}

// target − source, exactly ('' when either is not a plain decimal).
function decimalDifference(source, target) {
  if (!DECIMAL.test(source) || !DECIMAL.test(target)) return '';
  const scale = Math.max(scaleOf(source), scaleOf(target));
  const d = scaled(target, scale) - scaled(source, scale);
  const digits = (d < 0n ? -d : d).toString().padStart(scale + 1, '0');
  const text = scale ? digits.slice(0, -scale) + '.' + digits.slice(-scale) : digits;
  return (d < 0n ? '−' : d > 0n ? '+' : '') + text;
}

// ---- the chart: differences per run, inline SVG -------------------------------------

function timeLabel(iso, sameDay) {
  const t = new Date(iso), pad = (n) => String(n).padStart(2, '0');
  const clock = pad(t.getHours()) + ':' + pad(t.getMinutes());
  return sameDay ? clock : pad(t.getMonth() + 1) + '-' + pad(t.getDate()) + ' ' + clock;
}

// runs: newest first, as the API lists them. Bars oldest to newest; a failed run is a grey mark.
function differencesChart(runs, name, selected) {
  const shown = runs.slice(0, 30).reverse();
  const W = 640, H = 190, left = 44, right = 12, top = 12, bottom = 40;
  const plotW = W - left - right, plotH = H - top - bottom;
  const step = tickStep(Math.max(1, ...shown.map((r) => r.differences)));
  const max = Math.max(step, Math.ceil(Math.max(1, ...shown.map((r) => r.differences)) / step) * step);
  const svg = svgNode('svg', { id: 'reconciliation-chart', class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
  svg.append(svgNode('title', {}, `Differences found by the last ${shown.length} runs of ${name}`));
  const y = (v) => top + plotH - (v / max) * plotH;
  for (let v = 0; v <= max; v += step) {
    svg.append(svgNode('line', { class: 'grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    svg.append(svgNode('text', { class: 'axis', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)));
  }
  svg.append(svgNode('text', { class: 'axis-title', x: 12, y: top + plotH / 2, transform: `rotate(-90 12 ${top + plotH / 2})`, 'text-anchor': 'middle' }, 'differences'));
  const slot = plotW / Math.max(shown.length, 1), barW = Math.max(3, Math.min(28, slot * 0.6));
  const sameDay = shown.length > 0 && new Date(shown[0].started).toDateString() === new Date(shown[shown.length - 1].started).toDateString();
  const labelEvery = Math.max(1, Math.ceil(shown.length / 6));
  shown.forEach((r, i) => {
    const cx = left + slot * (i + 0.5);
    const kind = r.failed ? 'failed' : r.differences ? 'differs' : 'agrees';
    const h = r.failed ? plotH : Math.max(2, (r.differences / max) * plotH);
    const bar = svgNode('rect', { class: 'bar bar-' + kind + (r.id === selected ? ' selected' : ''), x: cx - barW / 2, y: top + plotH - h, width: barW, height: h, 'data-run': r.id });
    bar.append(svgNode('title', {}, `run #${r.id}, ${new Date(r.started).toLocaleString()}: ` +
      (r.failed ? 'failed' : plural(r.differences, 'difference', 'differences') + (r.in_flight ? `, ${r.in_flight} in flight` : ''))));
    bar.addEventListener('click', () => (location.hash = `#/reconciliation/${encodeURIComponent(name)}/${r.id}`));
    svg.append(bar);
    if (i % labelEvery === 0 || i === shown.length - 1)
      svg.append(svgNode('text', { class: 'axis', x: cx, y: top + plotH + 16, 'text-anchor': 'middle' }, timeLabel(r.started, sameDay)));
  });
  svg.append(svgNode('line', { class: 'baseline', x1: left, x2: W - right, y1: y(0), y2: y(0) }));
  svg.append(svgNode('text', { class: 'axis-title', x: left + plotW / 2, y: H - 4, 'text-anchor': 'middle' }, 'run started' + (sameDay && shown.length ? ' (' + new Date(shown[0].started).toLocaleDateString() + ')' : '')));
  return svg;
}

// ---- one run: groups and documents ----------------------------------------------------

function groupsTable(report) {
  const measures = report.measures || [];
  const head = [el('th', {}, (report.group_by || []).join(', ') || 'Group'), el('th', { class: 'num' }, 'Source count'),
    el('th', { class: 'num' }, 'Target count')];
  for (const m of measures)
    head.push(el('th', { class: 'num' }, 'Source ' + m), el('th', { class: 'num' }, 'Target ' + m), el('th', { class: 'num' }, 'Difference'));
  const rows = report.groups.map((g) => {
    const cells = [el('td', {}, g.group.join(' · ') || 'all'), el('td', { class: 'num' }, number(g.source.count)),
      el('td', { class: 'num' }, number(g.target.count))];
    for (const m of measures) {
      const d = decimalDifference(g.source[m], g.target[m]);
      cells.push(el('td', { class: 'num' }, g.source[m]), el('td', { class: 'num' }, g.target[m]),
        el('td', { class: 'num' + (d && d !== '0' && !/^0\.0*$/.test(d) ? ' diff' : '') }, d));
    }
    return el('tr', { class: g.agrees ? '' : 'differs', 'data-group': g.group.join('|') }, cells);
  });
  return scroller(el('table', { id: 'groups' }, el('thead', {}, el('tr', {}, head)), el('tbody', {}, rows)));
}

function valuesCell(d) {
  if (!d.fields.length) return el('td', { class: 'muted' }, '');
  return el('td', {}, d.fields.map((f) => el('div', { class: 'values' },
    el('span', { class: 'field' }, f.field + ': '),
    el('span', { class: 'source-value' }, f.source === null ? '—' : f.source), ' → ',
    el('span', { class: 'target-value' }, f.target === null ? '—' : f.target))));
}

function documentsSection(report) {
  if (!report.documents.length) return [el('p', { class: 'empty', id: 'documents-none' }, 'No document differs.')];
  const sections = [];
  for (const c of CLASSES) {
    const docs = report.documents.filter((d) => d.class === c);
    if (!docs.length) continue;
    sections.push(el('h3', {}, c.replace('_', ' ') + ' ', el('span', { class: 'muted' }, `(${number(report.counts[c])}: ${CLASS_HELP[c]})`)),
      scroller(el('table', { class: 'documents', 'data-class': c },
        el('thead', {}, el('tr', {}, el('th', {}, 'Key'), el('th', {}, 'Group'), el('th', {}, 'Source'), el('th', {}, 'Target'),
          el('th', {}, 'Values (source → target)'), el('th', {}, 'Reason'))),
        el('tbody', {}, docs.map((d) => el('tr', { 'data-document': d.key, class: c === 'in_flight' ? '' : 'differs' },
          el('td', {}, traceLink(d.key)), el('td', {}, d.group), el('td', {}, d.source.join(', ')), el('td', {}, d.target.join(', ')),
          valuesCell(d), el('td', {}, d.reason)))))));
  }
  if (report.documents_left_out)
    sections.push(el('p', { class: 'muted' }, number(report.documents_left_out) + ' more documents differ (max_documents); the counts are exact.'));
  return sections;
}

function runSummary(report) {
  const card = (label, value, cls) => el('div', { class: 'card' + (cls ? ' ' + cls : '') }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value));
  const cards = [card('Matched', number(report.matched)),
    ...CLASSES.map((c) => card(c.replace('_', ' '), number(report.counts[c]), report.counts[c] && c !== 'in_flight' ? 'bad' : ''))];
  return [
    el('h2', {}, `Run #${report.id} `, el('span', { class: 'muted' }, `started ${new Date(report.started).toLocaleString()} · ` +
      `read ${number(report.read.source)} in the source, ${number(report.read.target)} in the target · took ` +
      `${((report.finished_ms - report.started_ms) / 1000).toFixed(1)} s`)),
    report.error ? el('pre', { class: 'error-text' }, report.error) : el('div', { class: 'cards' }, cards),
    ...(report.notes || []).map((n) => el('p', { class: 'muted' }, 'Note: ' + n)),
  ];
}

async function reconciliationView(name, runId) {
  const path = '/api/v1/reconciliation/' + encodeURIComponent(name);
  const [{ reconciliations }, { runs }] = await Promise.all([api('GET', '/api/v1/reconciliation'), api('GET', path + '/runs?limit=30')]);
  const r = reconciliations.find((x) => x.name === name) ||
    { name, description: '', source: '?', target: '?', state: 'idle', last_run: runs[0] || null, removed: true };
  const id = runId || (runs[0] && runs[0].id);
  const report = id ? await api('GET', '/api/v1/reconciliation/runs/' + id) : null;
  show(
    el('p', {}, el('a', { href: '#/reconciliation' }, '← all reconciliations')),
    el('h1', {}, name, ' ', resultBadge(r)),
    el('p', { class: 'muted' }, [r.description, r.source + ' → ' + r.target, r.every ? 'every ' + r.every : 'on request'].filter(Boolean).join(' · ')),
    app.role === 'operator' && !r.removed ? el('div', { class: 'actions' }, runNowButton(r)) : null,
    el('h2', {}, 'Differences over the last runs'),
    runs.length ? differencesChart(runs, name, id) : el('p', { class: 'empty' }, 'Not run yet.'),
    ...(report ? runSummary(report) : []),
    report && !report.error ? el('h2', {}, 'Per group') : null,
    report && !report.error ? groupsTable(report) : null,
    report && !report.error ? el('h2', {}, 'Documents') : null,
    ...(report && !report.error ? documentsSection(report) : []));
}

// Called by dashboard.js's refresh() for #/reconciliation...
function reconciliationRoute(hash) {
  const [name, run] = hash.slice('#/reconciliation'.length).split('/').filter(Boolean).map(decodeURIComponent);
  return name ? reconciliationView(name, run ? Number(run) : 0) : reconciliationListView();
}
