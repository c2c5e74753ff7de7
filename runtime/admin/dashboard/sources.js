// synchub dashboard, the sources: #/sources every source stream with its state, last success,
// last error, cursor and the flows it feeds (GET /api/v1/sources); #/sources/NAME one source
// with charts of what its flows read, their lag and errors (GET /api/v1/sources/NAME/series).
// A hub without /api/v1/sources (404) gets "sources unavailable"; the charts still show.
'use strict';

function sourceFacts(s) {
  return el('dl', { class: 'facts' },
    el('div', {}, el('dt', {}, 'Last success'), el('dd', {}, when(s.last_success))),
    el('div', {}, el('dt', {}, 'Failures in a row'), el('dd', { class: s.consecutive_failures ? 'error' : '' }, number(s.consecutive_failures || 0))),
    el('div', {}, el('dt', {}, 'Records read'), el('dd', {}, number(s.records_read || 0))),
    el('div', {}, el('dt', {}, 'Cursor time'), el('dd', {}, s.cursor_time ? when(s.cursor_time) : el('span', { class: 'muted' }, '—'))),
    el('div', { class: 'wide' }, el('dt', {}, 'Cursor'), el('dd', { class: 'cursor' }, s.cursor || '—')),
    el('div', { class: 'wide' }, el('dt', {}, 'Feeds'), el('dd', {}, (s.flows || []).length ? s.flows.map((f, i) => [i ? ', ' : '', flowLink(f)]) : el('span', { class: 'muted' }, 'no flow'))));
}

function sourceError(s) {
  if (!s.last_error) return null;
  return el('div', { class: 'source-error' }, el('span', { class: 'muted' }, 'last error ', s.last_error_at ? ago(s.last_error_at) : '', ': '),
    clip(s.last_error, 'source-error:' + s.name));
}

function sourceCard(s) {
  return el('article', { class: 'flow-card clickable state-border-' + s.state, 'data-source': s.name,
    onclick: () => (location.hash = '#/sources/' + encodeURIComponent(s.name)) },
    el('div', { class: 'flow-head' }, el('strong', {}, s.name), stateBadge(s.state)),
    el('div', { class: 'muted route' }, 'connector ' + s.connector + ', stream ' + s.stream),
    sourceFacts(s), sourceError(s));
}

const sourcesUnavailable = () => el('p', { class: 'empty', id: 'sources-unavailable' },
  'Sources unavailable: this hub does not report its sources (GET /api/v1/sources answered 404).');

async function sourcesView() {
  const answer = await apiOptional('/api/v1/sources');
  if (!answer) {
    const { flows } = await api('GET', '/api/v1/flows');
    const names = [...new Set(flows.map((f) => f.from))].sort();
    return show(el('h1', {}, 'Sources'), sourcesUnavailable(),
      names.length ? el('p', {}, 'The flows read: ', names.map((n, i) => [i ? ', ' : '', sourceLink(n)])) : null);
  }
  const sources = answer.sources;
  const failing = sources.filter((s) => s.state === 'failing').length;
  show(
    el('h1', {}, 'Sources'),
    el('p', { class: failing ? 'error' : 'muted' }, plural(sources.length, 'source', 'sources') + (failing ? ', ' + failing + ' failing' : ', none failing')),
    sources.length ? el('div', { id: 'sources', class: 'flow-cards' }, sources.map(sourceCard)) : el('p', { class: 'empty' }, 'No source in this hub.'));
}

async function sourceView(name) {
  const path = '/api/v1/sources/' + encodeURIComponent(name);
  const [answer, series] = await Promise.all([apiOptional('/api/v1/sources'), apiOptional(path + '/series?window=' + app.window)]);
  const s = answer ? answer.sources.find((x) => x.name === name) : null;
  show(
    el('p', {}, el('a', { href: '#/sources' }, '← all sources')),
    el('h1', { 'data-source': name }, name, ' ', s ? stateBadge(s.state) : null),
    !answer ? sourcesUnavailable() : !s ? el('p', { class: 'empty' }, 'No source ' + name + ' in this hub.') :
      el('div', {}, el('p', { class: 'muted' }, 'connector ' + s.connector + ', stream ' + s.stream), sourceFacts(s), sourceError(s)),
    el('h2', {}, 'Over time ', el('span', { class: 'muted' }, series ? 'what its flows read (' + series.flows.join(', ') + ')' : '')),
    series ? [windowPicker(), seriesCharts(series, 'source')] : el('p', { class: 'empty' }, 'No flow reads ' + name + '.'));
}
