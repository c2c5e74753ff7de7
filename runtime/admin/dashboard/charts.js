// synchub dashboard: time charts (inline SVG, drawn here: nothing fetched from elsewhere) with a
// y axis of round steps from 0 and an x axis of local clock times. A chart is drawn at the width
// its box has on the page (chartBox, then drawCharts after the view is shown, and on resize), so
// its text keeps its size from a phone to a wall screen.
'use strict';

// The smallest step of 1, 2 or 5 × 10^k giving at most four intervals up to `top`.
function tickStep(top) {
  for (let power = 1; ; power *= 10)
    for (const m of [1, 2, 5]) if (top / (m * power) <= 4) return m * power;
}

const pad2 = (n) => String(n).padStart(2, '0');
const clockLabel = (ms) => { const t = new Date(ms); return pad2(t.getHours()) + ':' + pad2(t.getMinutes()); };

// Minutes between x labels: the first that leaves ~90 px per label.
function timeTickMinutes(spanMs, width) {
  const most = Math.max(2, Math.floor(width / 90));
  for (const m of [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440])
    if (spanMs / (m * 60000) <= most) return m;
  return 1440;
}

// A placeholder the chart is drawn into once it is on the page: draw(width) gives the SVG.
function chartBox(id, draw) {
  const box = el('div', { class: 'chart-box', id: id + '-box' });
  box.draw = draw;
  return box;
}

function drawCharts() {
  for (const box of document.querySelectorAll('.chart-box')) {
    if (!box.draw) continue;
    box.replaceChildren(box.draw(Math.max(260, Math.floor(box.clientWidth))));
  }
}

// series: [{label, cls, values: [number|null per time]}] drawn as lines (null: a gap);
// times: each point's step start (ms), evenly spaced by stepMs.
function timeChart({ id, title, yTitle, times, stepMs, series, width, format }) {
  const H = 200, left = 48, right = 12, top = 26, bottom = 34;
  const W = width, plotW = W - left - right, plotH = H - top - bottom;
  const from = times[0], to = times[times.length - 1] + stepMs;
  const highest = Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null)));
  const step = tickStep(Math.max(1, highest));
  const max = Math.max(step, Math.ceil(Math.max(1, highest) / step) * step);
  const x = (ms) => left + ((ms - from) / (to - from)) * plotW;
  const y = (v) => top + plotH - (v / max) * plotH;
  const svg = svgNode('svg', { id, class: 'chart time-chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
  svg.append(svgNode('title', {}, title));
  for (let v = 0; v <= max; v += step) {
    svg.append(svgNode('line', { class: v ? 'grid' : 'baseline', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    svg.append(svgNode('text', { class: 'axis y-tick', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, number(v)));
  }
  svg.append(svgNode('text', { class: 'axis-title', x: 12, y: top + plotH / 2, transform: `rotate(-90 12 ${top + plotH / 2})`,
    'text-anchor': 'middle' }, yTitle));
  const minutes = timeTickMinutes(to - from, plotW), every = minutes * 60000;
  const offset = new Date(from).getTimezoneOffset() * 60000;  // labels on local round times
  for (let t = Math.ceil((from - offset) / every) * every + offset; t <= to; t += every) {
    svg.append(svgNode('line', { class: 'tick', x1: x(t), x2: x(t), y1: top + plotH, y2: top + plotH + 4 }));
    svg.append(svgNode('text', { class: 'axis x-tick', x: x(t), y: top + plotH + 16, 'text-anchor': 'middle' }, clockLabel(t)));
  }
  svg.append(svgNode('text', { class: 'axis-title', x: left + plotW / 2, y: H - 3, 'text-anchor': 'middle' },
    'local time, ' + new Date(from).toLocaleDateString() + (new Date(from).toDateString() === new Date(to).toDateString() ? '' : ' – ' + new Date(to).toLocaleDateString())));
  series.forEach((s, i) => {
    let points = [];
    const flush = () => {
      if (points.length === 1) svg.append(svgNode('circle', { class: 'dot ' + s.cls, cx: points[0][0], cy: points[0][1], r: 2 }));
      else if (points.length) svg.append(svgNode('polyline', { class: 'line ' + s.cls, points: points.map((p) => p.join(',')).join(' ') }));
      points = [];
    };
    s.values.forEach((v, j) => (v === null ? flush() : points.push([x(times[j] + stepMs / 2).toFixed(1), y(v).toFixed(1)])));
    flush();
    const lx = left + i * 130;
    svg.append(svgNode('rect', { class: 'key ' + s.cls, x: lx, y: 8, width: 12, height: 4 }));
    svg.append(svgNode('text', { class: 'legend', x: lx + 16, y: 14 }, s.label));
  });
  // One invisible column per step, whose title says its numbers on hover.
  times.forEach((t, j) => {
    const hover = svgNode('rect', { class: 'hover', x: x(t), y: top, width: Math.max(1, x(t + stepMs) - x(t)), height: plotH });
    hover.append(svgNode('title', {}, clockLabel(t) + '–' + clockLabel(t + stepMs) + ': ' +
      series.map((s) => s.label + ' ' + (s.values[j] === null ? 'no data' : format ? format(s.values[j]) : number(s.values[j]))).join(', ')));
    svg.append(hover);
  });
  return svg;
}

const stepText = (seconds) => (seconds % 3600 === 0 ? seconds / 3600 + ' h' : seconds % 60 === 0 ? seconds / 60 + ' min' : seconds + ' s');

// The three charts of a flow or a source from GET .../series: records, lag, errors.
function seriesCharts(series, idPrefix) {
  const times = series.points.map((p) => Date.parse(p.time));
  const stepMs = series.step_seconds * 1000, per = 'per ' + stepText(series.step_seconds);
  const pick = (field) => series.points.map((p) => p[field]);
  const chart = (id, title, yTitle, lines) => chartBox(idPrefix + id, (width) => timeChart({ id: idPrefix + id, title, yTitle, times, stepMs, series: lines, width }));
  const lagNote = series.lag_since ? 'Lag is sampled in memory since ' + new Date(series.lag_since).toLocaleString() + ' (the hub\'s start, or 24 h ago).' : 'No lag sampled yet.';
  return el('div', {}, el('div', { class: 'charts' },
    el('div', {}, el('h3', {}, 'Throughput ', el('span', { class: 'muted' }, 'records ' + per)),
      chart('-throughput', 'Records read and written ' + per, 'records',
        [{ label: 'read', cls: 's-read', values: pick('read') }, { label: 'written', cls: 's-written', values: pick('written') }])),
    el('div', {}, el('h3', {}, 'Lag ', el('span', { class: 'muted' }, 'events not yet handled')),
      chart('-lag', 'Events behind, the most in each step', 'events',
        [{ label: 'events behind', cls: 's-lag', values: pick('lag_events') }])),
    el('div', {}, el('h3', {}, 'Errors ', el('span', { class: 'muted' }, per)),
      chart('-errors', 'Failed attempts and dead letters ' + per, 'records',
        [{ label: 'failed', cls: 's-failed', values: pick('failed') }, { label: 'dead lettered', cls: 's-dead', values: pick('dead_lettered') }]))),
    el('p', { class: 'muted' }, lagNote, series.counts_from ? ' Counts before ' + new Date(series.counts_from).toLocaleString() +
      ' are left blank: the flow ran more often than the history read holds.' : ''));
}

function windowPicker() {
  return el('div', { class: 'actions window-picker' }, ['30m', '1h', '6h', '24h'].map((w) =>
    el('button', { class: w === app.window ? 'primary' : '', 'data-window': w, onclick: () => { app.window = w; refresh(); } }, 'last ' + w)));
}
