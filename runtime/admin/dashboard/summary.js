// synchub dashboard, the overview (#/): the hub in numbers, the map of its systems and flows,
// and a card per flow. Sources (GET /api/v1/sources) and reconciliations are shown when the hub
// has them; without them the rest of the page still works.
'use strict';

function lastReconciliation(reconciliations) {
  const runs = (reconciliations || []).filter((r) => r.last_run).map((r) => ({ name: r.name, run: r.last_run }));
  runs.sort((a, b) => Date.parse(b.run.started) - Date.parse(a.run.started));
  return runs[0] || null;
}

// A flow is failing when it fails itself or its source does.
const flowFailing = (f) => f.state === 'failing' || (f.source && f.source.state === 'failing');

function hubCards(flows, sources, reconciliations, today) {
  const systems = mapSystems(flows, sources).length;
  const failing = flows.filter(flowFailing).length;
  const up = flows.filter((f) => !flowFailing(f) && f.state !== 'paused').length;
  const sum = (field) => flows.reduce((n, f) => n + f.windows['24h'][field], 0);
  const pending = flows.reduce((n, f) => n + (f.dead_letters || 0), 0);
  const last = lastReconciliation(reconciliations);
  const big = (label, id, value, sub, cls) => el('div', { class: 'card' + (cls ? ' ' + cls : ''), id },
    el('div', { class: 'label' }, label), el('div', { class: 'value' }, value), sub ? el('div', { class: 'muted' }, sub) : null);
  const failingSources = sources ? sources.filter((s) => s.state === 'failing').length : 0;
  return el('div', { class: 'cards summary' },
    big('Systems', 'sum-systems', number(systems), sources ? plural(sources.length, 'source', 'sources') +
      (failingSources ? ', ' + failingSources + ' failing' : '') : 'sources unavailable', failingSources ? 'bad' : ''),
    big('Flows up', 'sum-flows', number(up) + ' / ' + number(flows.length), failing ? failing + ' failing' : 'none failing', failing ? 'bad' : ''),
    today ? big('Records today', 'sum-records', (today.complete ? '' : '≥ ') + number(today.read) + ' read',
      (today.complete ? '' : '≥ ') + number(today.written) + ' written since ' + new Date(today.since).toLocaleTimeString())
      : big('Records, last 24 h', 'sum-records', number(sum('read')) + ' read', number(sum('created') + sum('updated')) + ' written'),
    big('Dead letters pending', 'sum-dlq', pending ? el('a', { href: '#/dlq' }, number(pending)) : '0', pending ? 'waiting for a replay or a discard' : 'nothing waiting', pending ? 'bad' : ''),
    big('Last reconciliation', 'sum-reconciliation',
      last ? el('a', { href: '#/reconciliation/' + encodeURIComponent(last.name) }, last.run.failed ? 'failed' : last.run.differences ? plural(last.run.differences, 'difference', 'differences') : 'agrees') : 'none',
      last ? last.name + ', ' + ago(last.run.started) : reconciliations ? 'not run yet' : 'none configured',
      last && (last.run.failed || last.run.differences) ? 'bad' : ''));
}

function flowCard(f) {
  const open = () => (location.hash = '#/flows/' + encodeURIComponent(f.name));
  return el('article', { class: 'flow-card clickable state-border-' + (flowFailing(f) ? 'failing' : f.state), 'data-flow': f.name, onclick: open },
    el('div', { class: 'flow-head' }, el('strong', {}, f.name), stateBadge(f.state)),
    el('div', { class: 'muted route' }, f.from + ' → ' + f.to),
    f.source && f.source.state === 'failing' ? el('div', { class: 'error' }, 'source failing') : null,
    el('dl', { class: 'facts' },
      el('div', {}, el('dt', {}, 'Read, 5 min'), el('dd', {}, number(f.windows['5m'].read_per_second) + '/s')),
      el('div', {}, el('dt', {}, 'Lag'), el('dd', {}, number(f.lag_events) + (f.lag_seconds ? ' · ' + duration(f.lag_seconds) : ''))),
      el('div', {}, el('dt', {}, 'Written, 24 h'), el('dd', {}, number(f.windows['24h'].created + f.windows['24h'].updated))),
      el('div', {}, el('dt', {}, 'Dead letters'), el('dd', { class: f.dead_letters ? 'error' : '' }, number(f.dead_letters || 0))),
      el('div', {}, el('dt', {}, 'Last success'), el('dd', {}, when(f.last_success)))),
    f.last_error ? clip(f.last_error.message, 'flow-error:' + f.name) : null,
    f.source && f.source.last_error ? clip('source: ' + f.source.last_error, 'flow-source-error:' + f.name) : null);
}

async function summaryView() {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);  // today in the browser's time zone
  const [{ flows }, sourcesAnswer, reconciliationAnswer, today] = await Promise.all([
    api('GET', '/api/v1/flows'), apiOptional('/api/v1/sources'), apiOptional('/api/v1/reconciliation'),
    apiOptional('/api/v1/records?since=' + midnight.getTime())]);
  app.flows = flows;
  updateDlqCount();
  const sources = sourcesAnswer ? sourcesAnswer.sources : null;
  const reconciliations = reconciliationAnswer ? reconciliationAnswer.reconciliations : null;
  if (flows.length === 0 && !(sources && sources.length))
    return show(el('h1', {}, 'Overview'), el('p', { class: 'empty' }, 'No flow is enabled in this hub.'));
  show(
    el('h1', {}, 'Overview'),
    hubCards(flows, sources, reconciliations, today),
    el('h2', {}, 'Systems and flows'),
    el('p', { class: 'muted' }, 'Each box is a system this hub connects, each arrow a flow (click one); red: failing.'),
    chartBox('map', (width) => systemMap(flows, sources, width)),
    el('h2', {}, 'Flows'),
    el('div', { id: 'flows', class: 'flow-cards' }, flows.map(flowCard)));
}
