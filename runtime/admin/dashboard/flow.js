// synchub dashboard, one flow (#/flows/NAME): its state and actions, its source, charts of its
// throughput, lag and errors over time (GET /api/v1/flows/NAME/series), its counts and runs.
'use strict';

const OUTCOMES = ['read', 'created', 'updated', 'unchanged', 'failed', 'dead_lettered'];
// What each column counts (the headers' tooltips): records, not dead-letter entries.
const COUNTED = {
  read: 'records read from the topic', created: 'records the target created', updated: 'records the target updated',
  unchanged: 'records the target already had', failed: 'failed write attempts (retried)',
  dead_lettered: 'records dead-lettered in the window: every failure counts, a key that failed 3 times counts 3',
};

function flowActions(f) {
  const act = (action, label, cls) =>
    el('button', { class: cls, 'data-action': action, onclick: async (e) => {
      e.target.disabled = true;
      try {
        await api('POST', `/api/v1/flows/${encodeURIComponent(f.name)}/${action}`);
        flash(label + ': requested');
      } catch (err) { handle(err); }
      setTimeout(refresh, 400);
    } }, label);
  return el('div', { class: 'actions' },
    f.state === 'paused' ? act('resume', 'Resume', 'primary') : act('pause', 'Pause'),
    act('trigger', 'Poll the source now'));
}

function flowSource(f) {
  const s = f.source;
  if (!s) return card('Source', sourceLink(f.from));
  return el('div', { class: 'card' + (s.state === 'failing' ? ' bad' : ''), id: 'flow-source' },
    el('div', { class: 'label' }, 'Source'), el('div', { class: 'value' }, sourceLink(s.name || f.from), ' ', stateBadge(s.state)),
    s.last_error ? clip(s.last_error, 'flow-source:' + f.name) : null);
}

function countsTable(f) {
  return scroller(el('table', { id: 'counts' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Window'), OUTCOMES.map((o) => el('th', { class: 'num', title: COUNTED[o] }, o.replace('_', ' '))))),
    el('tbody', {}, ['5m', '1h', '24h'].map((w) =>
      el('tr', {}, el('td', {}, { '5m': 'last 5 min', '1h': 'last hour', '24h': 'last 24 h' }[w]),
        OUTCOMES.map((o) => el('td', { class: 'num' }, number(f.windows[w][o]))))))));
}

function runsTable(runs) {
  if (runs.length === 0) return el('p', { class: 'empty' }, 'No run recorded yet.');
  return scroller(el('table', { id: 'runs' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Started'), el('th', { class: 'num' }, 'Duration'),
      OUTCOMES.map((o) => el('th', { class: 'num' }, o.replace('_', ' '))), el('th', {}, 'Error'))),
    el('tbody', {}, runs.map((r) => el('tr', {},
      el('td', {}, when(r.started)), el('td', { class: 'num' }, r.finished ? duration(r.duration_ms / 1000) : 'running'),
      OUTCOMES.map((o) => el('td', { class: 'num' }, number(r[o]))),
      el('td', { class: 'wide' }, clip(r.error, 'run:' + r.id)))))));
}

async function flowView(name) {
  const path = '/api/v1/flows/' + encodeURIComponent(name);
  const [f, { runs }, series] = await Promise.all([
    api('GET', path), api('GET', path + '/runs?limit=30'), api('GET', path + '/series?window=' + app.window)]);
  show(
    el('p', {}, el('a', { href: '#/' }, '← overview')),
    el('h1', {}, f.name, ' ', stateBadge(f.state)),
    el('p', { class: 'muted' }, f.from + ' → ' + f.to),
    app.role === 'operator' ? flowActions(f) : null,
    el('div', { class: 'cards' },
      flowSource(f),
      card('Lag', number(f.lag_events) + ' events', f.lag_seconds ? el('div', { class: 'muted' }, duration(f.lag_seconds) + ' behind') : null),
      card('Read / s (5 min)', number(f.windows['5m'].read_per_second)),
      card('Last success', when(f.last_success)),
      // A cursor is the source's own text (JSON for a REST listing): small, three lines at most, whole on hover.
      card('Source cursor', f.source_cursor ? el('code', { class: 'cursor-text', title: f.source_cursor }, f.source_cursor) : '—'),
      card('Retry', f.retry.attempt ? 'attempt ' + f.retry.attempt : 'none',
        f.retry.next_attempt ? el('div', { class: 'muted' }, 'next ' + f.retry.next_attempt) : null),
      card('Dead letters pending', f.dead_letters ? el('a', { href: '#/dlq' }, number(f.dead_letters)) : '0',
        el('div', { class: 'muted' }, 'entries waiting, one per key'))),
    f.last_error ? el('div', {}, el('h2', {}, 'Last error ', el('span', { class: 'muted' }, ago(f.last_error.time))),
      el('pre', { class: 'error-text' }, f.last_error.message)) : null,
    el('h2', {}, 'Over time'),
    windowPicker(),
    seriesCharts(series, 'flow'),
    el('h2', {}, 'Counts'),
    countsTable(f),
    el('h2', {}, 'Recent runs'),
    runsTable(runs));
}
