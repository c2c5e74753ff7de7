// synchub dashboard, a document's trace (#/trace/KEY, GET /api/v1/trace/KEY): its path through
// every flow that carried it, then the documents it led to in other flows. Each document shows its
// events (read, written with outcome and target id, failed attempts, dead letters, replays), its
// ledger entry and dead letters, and links to the documents it names and leads to.
'use strict';

const KIND_CLASS = { written: 'idle', unchanged: 'paused', skipped: 'paused', failed: 'backing-off',
  dead_lettered: 'failing', replayed: 'running', replay_failed: 'failing' };

const docId = (d) => 'doc-' + d.flow + '-' + d.key;

// The document's last word: where it stands now.
function documentOutcome(d, withTarget) {
  const last = d.events[d.events.length - 1];
  if (!last) return 'no event';
  return last.kind.replace('_', ' ') + (withTarget && last.target_id ? ' → ' + last.target_id : '');
}

// The path at a glance: one step per document, in the order the hub reached them.
function tracePath(trace) {
  return el('ol', { class: 'trace-path', id: 'trace-path' }, trace.documents.map((d) => {
    const last = d.events[d.events.length - 1];
    return el('li', { class: 'trace-step', 'data-flow': d.flow, 'data-key': d.key,
      onclick: () => document.getElementById(docId(d)).scrollIntoView({ behavior: 'smooth' }) },
      el('div', { class: 'muted' }, d.depth ? 'led to, step ' + d.depth : 'carried by'),
      el('strong', {}, d.flow), el('div', {}, d.key + (d.target_key && d.target_key !== d.key ? ' → ' + d.target_key : '')),
      last ? stateBadgeText(last.kind, documentOutcome(d, true)) : null);
  }));
}

function stateBadgeText(kind, text) {
  return el('span', { class: 'state state-' + (KIND_CLASS[kind] || 'paused'), 'data-kind': kind }, text);
}

function eventsTable(d) {
  return scroller(el('table', { class: 'trace-events' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Time'), el('th', {}, 'What'), el('th', {}, 'Target id'),
      el('th', { class: 'num' }, 'Attempt'), el('th', {}, 'Source position'), el('th', {}, 'Mapping'), el('th', {}, 'Error'))),
    el('tbody', {}, d.events.map((e) => el('tr', { 'data-event': e.kind },
      el('td', { title: e.time }, new Date(e.time).toLocaleString(), e.event_time ? el('div', { class: 'muted', title: e.event_time }, 'event ' + ago(e.event_time)) : null),
      el('td', {}, stateBadgeText(e.kind, e.kind.replace('_', ' ')), e.outcome ? el('div', { class: 'muted' }, e.outcome) : null,
        e.origin ? el('div', { class: 'muted' }, e.origin) : null),
      el('td', {}, e.target_id || ''),
      el('td', { class: 'num' }, e.attempt ? number(e.attempt) : ''),
      el('td', { class: 'cursor' }, e.position || ''),
      el('td', {}, e.mapping_version || ''),
      el('td', { class: 'wide' }, clip(e.error, 'trace-event:' + e.id)))))));
}

function linksList(title, links, cls) {
  if (!links.length) return null;
  return el('div', { class: cls }, el('span', { class: 'muted' }, title + ' '),
    links.map((l, i) => [i ? ', ' : '', l.key ? traceLink(l.key, l.flow + ' ' + l.key) : el('span', {}, l.flow + ' ' + l.ref),
      l.ref && l.key ? el('span', { class: 'muted' }, ' (by ' + l.ref + ')') : null]));
}

function traceDocument(d) {
  const dead = d.dead_letters.map((x) => el('li', { 'data-dead-letter': x.id },
    el('a', { href: '#/dlq' }, '#' + x.id), ' ', x.status ? stateBadgeText(x.status === 'pending' ? 'dead_lettered' : 'replayed', x.status) : null,
    ' ', when(x.created), ' ', clip(x.error, 'trace-dlq:' + x.id)));
  return el('section', { class: 'trace-doc', id: docId(d), 'data-flow': d.flow, 'data-key': d.key },
    el('h2', {}, flowLink(d.flow), ' · ', d.key, d.target_key && d.target_key !== d.key ? el('span', { class: 'muted' }, ' → ' + d.target_key) : null),
    d.via ? el('p', { class: 'muted' }, 'led from ', traceLink(d.via.key, d.via.flow + ' ' + d.via.key), ' (names it as ' + d.via.ref + ')') : null,
    el('div', { class: 'cards' },
      card('Now', documentOutcome(d)),
      card('Target id', el('span', { class: 'id' }, d.ledger ? d.ledger.target_id : '—')),
      card('Mapping version', d.ledger ? d.ledger.mapping_version || '—' : '—'),
      card('Ledger updated', d.ledger ? when(d.ledger.updated) : '—')),
    el('h3', {}, 'Events ', el('span', { class: 'muted' }, '(' + d.events.length + ')')),
    eventsTable(d),
    dead.length ? [el('h3', {}, 'Dead letters'), el('ul', { class: 'trace-dead-letters' }, dead)] : null,
    linksList('Names:', d.names, 'trace-names'),
    linksList('Led to:', d.led_to, 'trace-led-to'));
}

async function traceView(key) {
  const trace = await apiOptional('/api/v1/trace/' + encodeURIComponent(key));
  const search = el('form', { class: 'filters', onsubmit: (e) => {
    e.preventDefault();
    const k = e.target.elements.key.value.trim();
    if (k) location.hash = '#/trace/' + encodeURIComponent(k);
  } }, el('label', {}, 'Key ', el('input', { name: 'key', value: key, required: true })), el('button', { type: 'submit' }, 'Trace'));
  if (!trace)
    return show(el('h1', {}, 'Trace of ', key), search,
      el('p', { class: 'empty', id: 'trace-none' }, 'No lineage for ' + key + ': never read by a flow, or older than the state\'s lineage_retention.'));
  const flows = new Set(trace.documents.map((d) => d.flow));
  show(
    el('h1', {}, 'Trace of ', el('span', { id: 'trace-key' }, trace.key)),
    search,
    el('p', { class: 'muted' }, plural(trace.documents.length, 'document', 'documents') + ' in ' + plural(flows.size, 'flow', 'flows') +
      (trace.truncated ? ' (more exist: the trace was cut)' : '')),
    tracePath(trace),
    trace.documents.map(traceDocument));
}
