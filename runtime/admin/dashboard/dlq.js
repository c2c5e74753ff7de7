// synchub dashboard, the dead letters (#/dlq): the pending entries by default (or those replaying,
// replayed, resolved, discarded, or all), grouped by error reason with counts (a click on a reason
// filters by it), searched by key, filtered by flow. Operators replay or discard the ticked entries
// or every entry of a reason. An entry opens on a click with its input, error, history and a link
// to its trace; its input can be edited (checked as JSON here first) and replayed.
// Everything an entry holds is untrusted input: it only ever goes into the page as text (el()).
'use strict';

const dlq = {
  status: 'pending',
  key: '',  // the key search as typed
  reason: '',  // only entries of this reason ('' = any)
  selected: new Set(),  // ids ticked
  editing: new Map(),  // id -> the input being edited, kept across redraws
  editErrors: new Map(),  // id -> why the edited input cannot be sent
  result: null,  // { text, error, at }: what the last action did, shown for 15 s
  wanted: false,  // the coming redraw was asked for by the user, not by the 5-second timer
  searchTimer: 0,
};
const DLQ_STATUSES = ['pending', 'replaying', 'replayed', 'resolved', 'discarded', 'all'];

// Indents JSON text without parsing its numbers: JSON.parse would turn
// 12345678901234.567 into a double and show other digits than were sent.
function prettyInput(text) {
  try {
    JSON.parse(text);
  } catch {
    return text;  // not JSON (that may be why it was rejected): shown as it arrived
  }
  let out = '', depth = 0, inString = false, escaped = false;
  const newline = () => '\n' + '  '.repeat(depth);
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '{' || c === '[') {
      const rest = text.slice(i + 1).trimStart();
      if (rest[0] === (c === '{' ? '}' : ']')) {  // empty: {} or []
        out += c + rest[0];
        i = text.length - rest.length;
      } else {
        ++depth;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      --depth;
      out += newline() + c;
    } else if (c === ',') {
      out += ',' + newline();
    } else if (c === ':') {
      out += ': ';
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

// JSON text without the whitespace between its tokens, numbers kept as typed (see prettyInput).
function compactJson(text) {
  let out = '', inString = false, escaped = false;
  for (const c of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (/\s/.test(c)) {
      continue;
    }
    out += c;
  }
  return out;
}

const isJson = (text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

// A source's reject that is not JSON (a CSV row, a line that was never JSON) is checked by its
// source when replayed; any other input here, before it is sent.
const checkedHere = (full) => full.stage !== 'source' || isJson(full.input);

// Why an edited input cannot be replayed, or '': it must be JSON, and a record a flow maps an
// object (as the API checks).
function editProblem(text, full) {
  if (!checkedHere(full)) return '';
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return 'Not valid JSON: ' + err.message;
  }
  if (full.stage !== 'source' && (typeof value !== 'object' || value === null || Array.isArray(value)))
    return 'The record must be a JSON object: { "field": value, ... }';
  return '';
}

// Redraws now, as the user asked (a redraw already under way is waited for).
function dlqRedraw() {
  dlq.wanted = true;
  if (app.busy) setTimeout(dlqRedraw, 100);
  else refresh();
}

function dlqNote(text, error) {
  dlq.result = { text, error, at: Date.now() };
}

function dlqQuery(extra) {
  const query = new URLSearchParams({ status: dlq.status, ...extra });
  if (app.dlqFlow) query.set('flow', app.dlqFlow);
  if (dlq.key) query.set('key', dlq.key);
  return query;
}

// The filter a "all of this reason" action sends: what the list shows.
function reasonFilter() {
  const filter = { reason: dlq.reason };
  if (app.dlqFlow) filter.flow = app.dlqFlow;
  if (dlq.key) filter.key = dlq.key;
  return filter;
}

async function bulk(action, body, what) {
  if (!confirm(`${action === 'replay' ? 'Replay' : 'Discard'} ${what}?` +
    (action === 'discard' ? ' They will not be delivered.' : ' Fix their cause first.'))) return;
  try {
    const r = await api('POST', '/api/v1/dlq/' + action, body);
    const changed = action === 'replay' ? r.requested : r.discarded;
    dlqNote(`${plural(changed, 'dead letter', 'dead letters')} ${action === 'replay' ? 'sent back to their flows' : 'discarded'}` +
      (r.skipped ? `, ${number(r.skipped)} skipped (no longer pending)` : ''));
    dlq.selected.clear();
  } catch (err) {
    if (err instanceof SignInNeeded) return handle(err);
    dlqNote(String(err.message || err), true);
  }
  dlqRedraw();
}

// One entry's replay or discard (its row's buttons).
async function actOnOne(d, action) {
  if (action === 'discard' && !confirm(`Discard dead letter #${d.id} (${d.key})? It will not be delivered.`)) return;
  try {
    await api(action === 'replay' ? 'POST' : 'DELETE', `/api/v1/dlq/${d.id}` + (action === 'replay' ? '/replay' : ''));
    app.openLetters.delete(d.id);
    app.handled.set(d.id, Date.now());
    dlq.selected.delete(d.id);
    document.querySelectorAll(`[data-dead-letter="${d.id}"]`).forEach((row) => row.remove());
    flash(action === 'replay' ? `#${d.id} sent back to ${d.flow}` : `#${d.id} discarded`);
  } catch (err) { handle(err); }
}

async function editAndReplay(full) {
  const text = dlq.editing.get(full.id) || '';
  const problem = editProblem(text, full);
  dlq.editErrors.set(full.id, problem);
  if (problem) return dlqRedraw();
  try {
    await api('POST', `/api/v1/dlq/${full.id}/replay`, { input: checkedHere(full) ? compactJson(text) : text });
    dlq.editing.delete(full.id);
    dlq.editErrors.delete(full.id);
    dlqNote(`#${full.id}: the edited input was sent back to ${full.flow}`);
  } catch (err) {
    if (err instanceof SignInNeeded) return handle(err);
    dlq.editErrors.set(full.id, String(err.message || err));
  }
  dlqRedraw();
}

const KIND_TEXT = {
  failed: 'failed', edited: 'input edited', replay_requested: 'replay requested', replay_failed: 'replayed, failed again',
  discarded: 'discarded', replayed: 'replayed: delivered', resolved: 'resolved by a later version',
};

// The lines of `text` (pretty JSON) as spans; those the other side has not (as many times) marked
// with `cls`: what an edit removed or added.
function markedLines(text, other, cls) {
  const left = new Map();
  for (const line of other.split('\n')) left.set(line, (left.get(line) || 0) + 1);
  return text.split('\n').map((line, i) => {
    const n = left.get(line) || 0;
    if (n) left.set(line, n - 1);
    return [i ? '\n' : '', el('span', n ? {} : { class: cls }, line)];
  });
}

function editDiff(e) {
  const before = prettyInput(e.input_before), after = prettyInput(e.input);
  return el('div', { class: 'dlq-diff' },
    el('div', {}, el('div', { class: 'muted' }, 'before'), el('pre', { class: 'before' }, markedLines(before, after, 'removed'))),
    el('div', {}, el('div', { class: 'muted' }, 'after'), el('pre', { class: 'after' }, markedLines(after, before, 'added'))));
}

function moment(iso) {
  return iso ? el('time', { datetime: iso, title: iso }, new Date(iso).toLocaleString(), ' (', ago(iso), ')') : null;
}

// The entry's history, oldest first, ended by what its status says (a replay that delivered it,
// a later version that resolved it).
function historyList(full) {
  const events = [...(full.history || [])];
  if (full.status === 'replayed') events.push({ kind: 'replayed', time: full.updated });
  if (full.status === 'resolved') events.push({ kind: 'resolved', time: full.resolved.time, origin: full.resolved.by });
  if (!events.length) return el('p', { class: 'muted' }, 'No history kept.');
  return el('ol', { class: 'dlq-history' }, events.map((e) => el('li', { 'data-kind': e.kind },
    el('div', {}, el('strong', {}, KIND_TEXT[e.kind] || e.kind), ' ', moment(e.time),
      e.by ? [' by ', el('span', { class: 'dlq-by' }, e.by)] : null),
    e.error ? el('div', { class: 'error' }, e.error) : null,
    e.origin ? el('div', { class: 'muted' }, 'origin ' + e.origin + (e.mapping_version ? ' · mapping ' + e.mapping_version : '')) : null,
    e.kind === 'edited' ? editDiff(e) : null,
    (e.kind === 'failed' || e.kind === 'replay_failed') && e.input !== undefined ?
      el('details', {}, el('summary', {}, 'its input'), el('pre', { class: 'history-input' }, prettyInput(e.input))) : null)));
}

function inputEditor(full) {
  const problem = dlq.editErrors.get(full.id);
  return el('div', { class: 'dlq-edit' },
    el('textarea', { class: 'dlq-editor', id: 'dlq-editor-' + full.id, rows: 14, spellcheck: 'false', 'aria-label': 'Input of #' + full.id,
      oninput: (e) => dlq.editing.set(full.id, e.target.value) }, dlq.editing.get(full.id)),
    problem ? el('p', { class: 'error', 'data-edit-error': full.id }, problem) :
      el('p', { class: 'muted' }, checkedHere(full) ? 'Checked as JSON before it is sent; numbers are kept as typed.' :
        'Not JSON: its source checks it when it is replayed.'),
    el('div', { class: 'actions' },
      el('button', { class: 'primary', 'data-action': 'edit-replay', onclick: () => editAndReplay(full) }, 'Replay with this input'),
      el('button', { 'data-action': 'edit-cancel', onclick: () => { dlq.editing.delete(full.id); dlq.editErrors.delete(full.id); dlqRedraw(); } }, 'Cancel')));
}

// An open entry: what failed, where, its input (editable by operators while pending), its history.
function entryView(full, operator) {
  const open = full.status === 'pending' || full.status === 'replaying';
  const editing = dlq.editing.has(full.id);
  return el('div', { class: 'dlq-entry', 'data-entry': full.id, onclick: (e) => e.stopPropagation() },
    el('dl', { class: 'facts' },
      el('div', {}, el('dt', {}, 'Status'), el('dd', { 'data-status': full.status }, full.status)),
      el('div', {}, el('dt', {}, 'Stage'), el('dd', {}, full.stage)),
      el('div', {}, el('dt', {}, 'Failures'), el('dd', {}, number(full.attempts))),
      el('div', {}, el('dt', {}, 'Mapping'), el('dd', {}, full.mapping_version || '—')),
      el('div', {}, el('dt', {}, 'First failed'), el('dd', {}, when(full.created))),
      el('div', {}, el('dt', {}, 'Updated'), el('dd', {}, when(full.updated))),
      el('div', { class: 'wide' }, el('dt', {}, 'Origin'), el('dd', { class: 'cursor' }, full.origin))),
    el('div', {}, el('strong', {}, 'Error: '), el('span', { class: 'error' }, full.error)),
    el('div', {}, traceLink(full.key, 'Trace ' + full.key + ' through the flows →')),
    el('h3', {}, 'Input'),
    editing ? inputEditor(full) : el('pre', { class: 'record' }, prettyInput(full.input)),
    operator && open && !editing ? el('div', { class: 'actions' }, el('button', { 'data-action': 'edit', onclick: () => {
      dlq.editing.set(full.id, prettyInput(full.input));
      dlqRedraw();
    } }, 'Edit and replay')) : null,
    el('h3', {}, 'History'), historyList(full));
}

function reasonsTable(groups, total) {
  return el('section', { id: 'dlq-reasons-box' },
    el('h2', {}, 'By reason ', el('span', { class: 'muted' }, plural(total, 'entry', 'entries') + ' · click one to see only its entries')),
    scroller(el('table', { id: 'dlq-reasons' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Reason'), el('th', { class: 'num' }, 'Entries'), el('th', { class: 'narrow-hide' }, 'Newest'))),
      el('tbody', {}, groups.map((g) => el('tr', {
        class: 'clickable' + (g.reason === dlq.reason ? ' selected' : ''), 'data-reason': g.reason, 'data-count': g.count,
        onclick: () => { dlq.reason = dlq.reason === g.reason ? '' : g.reason; dlq.selected.clear(); dlqRedraw(); },
      }, el('td', { class: 'wide reason-text' }, g.reason), el('td', { class: 'num' }, number(g.count)), el('td', { class: 'narrow-hide' }, when(g.newest))))))));
}

// The chosen reason, with "replay / discard every entry of it" for operators.
function reasonBar(groups, operator) {
  if (!dlq.reason) return null;
  const group = groups.find((g) => g.reason === dlq.reason);
  const count = group ? group.count : 0;
  const pending = dlq.status === 'pending' && count > 0;
  return el('div', { id: 'dlq-reason-bar', class: 'filters dlq-bar' },
    el('span', {}, 'Reason: ', el('strong', { class: 'dlq-reason-text' }, dlq.reason), ' (' + number(count) + ')'),
    el('button', { 'data-action': 'clear-reason', onclick: () => { dlq.reason = ''; dlqRedraw(); } }, 'Every reason'),
    operator && pending ? [
      el('button', { class: 'primary', 'data-action': 'replay-reason',
        onclick: () => bulk('replay', reasonFilter(), `all ${plural(count, 'dead letter', 'dead letters')} of this reason`) }, `Replay all ${number(count)}`),
      el('button', { class: 'danger', 'data-action': 'discard-reason',
        onclick: () => bulk('discard', reasonFilter(), `all ${plural(count, 'dead letter', 'dead letters')} of this reason`) }, `Discard all ${number(count)}`)] : null);
}

function filterBar(names) {
  const flow = el('select', { id: 'dlq-flow', onchange: (e) => { app.dlqFlow = e.target.value; dlq.selected.clear(); dlqRedraw(); } },
    el('option', { value: '' }, 'all flows'), names.map((n) => el('option', { value: n, selected: n === app.dlqFlow }, n)));
  const status = el('select', { id: 'dlq-status', onchange: (e) => { dlq.status = e.target.value; dlq.selected.clear(); dlqRedraw(); } },
    DLQ_STATUSES.map((s) => el('option', { value: s, selected: s === dlq.status }, s)));
  const key = el('input', { id: 'dlq-key', type: 'search', placeholder: 'part of a key', value: dlq.key, autocomplete: 'off',
    oninput: (e) => {
      dlq.key = e.target.value.trim();
      clearTimeout(dlq.searchTimer);
      dlq.searchTimer = setTimeout(dlqRedraw, 300);
    } });
  return el('div', { class: 'filters' }, el('label', {}, 'Flow ', flow), el('label', {}, 'Status ', status), el('label', {}, 'Key ', key));
}

// Tick boxes and "Replay / Discard selected" for operators, over the pending entries shown.
function selectionBar(shown) {
  const ids = shown.filter((d) => d.status === 'pending').map((d) => d.id);
  const act = (action) => {
    const n = dlq.selected.size;
    return bulk(action, { ids: [...dlq.selected] }, plural(n, 'selected dead letter', 'selected dead letters'));
  };
  return el('div', { id: 'dlq-bulk', class: 'filters dlq-bar', 'data-ids': ids.join(',') },
    el('label', {}, el('input', { type: 'checkbox', id: 'dlq-select-all', disabled: ids.length === 0,
      onchange: (e) => {
        dlq.selected = new Set(e.target.checked ? ids : []);
        syncSelection();
      } }), ' Select all shown'),
    el('button', { class: 'primary', 'data-action': 'replay-selected', onclick: () => act('replay') }),
    el('button', { class: 'danger', 'data-action': 'discard-selected', onclick: () => act('discard') }));
}

// Ticks, row highlights and the bulk buttons as the selection is (no refetch).
function syncSelection() {
  const n = dlq.selected.size;
  for (const [action, text] of [['replay-selected', 'Replay selected'], ['discard-selected', 'Discard selected']]) {
    const button = document.querySelector(`#dlq-bulk [data-action=${action}]`);
    if (!button) continue;
    button.textContent = `${text} (${n})`;
    button.disabled = n === 0;
  }
  document.querySelectorAll('#dlq .dlq-pick').forEach((box) => { box.checked = dlq.selected.has(Number(box.dataset.id)); });
  document.querySelectorAll('#dlq tr[data-key]').forEach((row) => row.classList.toggle('selected', dlq.selected.has(Number(row.dataset.deadLetter))));
  const all = document.getElementById('dlq-select-all');
  const ids = all ? all.closest('#dlq-bulk').dataset.ids.split(',').filter(Boolean).map(Number) : [];
  if (all) all.checked = ids.length > 0 && ids.every((id) => dlq.selected.has(id));
}

function entryRow(d, operator) {
  const pending = d.status === 'pending';
  const toggle = async () => {
    if (app.openLetters.has(d.id)) app.openLetters.delete(d.id);
    else app.openLetters.set(d.id, await api('GET', '/api/v1/dlq/' + d.id));
    dlqRedraw();
  };
  return el('tr', { class: 'clickable', 'data-dead-letter': d.id, 'data-key': d.key,
    onclick: () => toggle().catch(handle) },
    operator ? el('td', { onclick: (e) => e.stopPropagation() }, pending ? el('input', { type: 'checkbox', class: 'dlq-pick',
      'aria-label': 'Select #' + d.id, 'data-id': d.id,
      onchange: (e) => {
        if (e.target.checked) dlq.selected.add(d.id);
        else dlq.selected.delete(d.id);
        syncSelection();
      } }) : null) : null,
    el('td', { class: 'num' }, '#' + d.id),
    el('td', {}, d.flow, el('div', { class: 'muted' }, d.stage)),
    el('td', { class: 'dlq-key' }, el('span', { class: 'key-text' }, d.key), el('div', {}, traceLink(d.key, 'trace →'))),
    el('td', {}, el('span', { class: 'dlq-status', 'data-status': d.status }, d.status)),
    el('td', { class: 'narrow-hide' }, when(d.created)),
    el('td', { class: 'num narrow-hide' }, d.attempts),
    el('td', { class: 'wide' }, clip(d.error, 'dlq:' + d.id)),
    operator ? el('td', {}, pending ? el('div', { class: 'actions', onclick: (e) => e.stopPropagation() },
      el('button', { class: 'primary', 'data-action': 'replay', onclick: () => actOnOne(d, 'replay') }, 'Replay'),
      el('button', { class: 'danger', 'data-action': 'discard', onclick: () => actOnOne(d, 'discard') }, 'Discard')) : null) : null);
}

function entriesTable(shown, operator) {
  const columns = operator ? 9 : 7;
  const rows = shown.flatMap((d) => {
    const full = app.openLetters.get(d.id);
    const row = entryRow(d, operator);
    return full ? [row, el('tr', { class: 'detail', 'data-dead-letter': d.id }, el('td', { colspan: columns }, entryView(full, operator)))] : [row];
  });
  return scroller(el('table', { id: 'dlq' },
    el('thead', {}, el('tr', {}, operator ? el('th', {}, '') : null, el('th', { class: 'num' }, 'Id'), el('th', {}, 'Flow'), el('th', {}, 'Key'),
      el('th', {}, 'Status'), el('th', { class: 'narrow-hide' }, 'Since'), el('th', { class: 'num narrow-hide' }, 'Failures'), el('th', {}, 'Error'),
      operator ? el('th', {}, '') : null)),
    el('tbody', {}, rows)));
}

// Entries opened that the list no longer shows (replayed after an edit, say): still shown, below.
function openedElsewhere(shown, operator) {
  const ids = new Set(shown.map((d) => d.id));
  return [...app.openLetters.values()].filter((full) => !ids.has(full.id)).map((full) => el('section', { class: 'dlq-opened', 'data-opened': full.id },
    el('h2', {}, `#${full.id} `, el('span', { class: 'key-text' }, full.key), ' ', el('span', { class: 'muted' }, `(${full.flow}, ${full.status}; not in this list)`),
      ' ', el('button', { 'data-action': 'close', onclick: () => { app.openLetters.delete(full.id); dlqRedraw(); } }, 'Close')),
    entryView(full, operator)));
}

// Keeps the focus (and the caret) in the key search across a redraw.
function keepingFocus(draw) {
  const active = document.activeElement;
  const id = active && active.id === 'dlq-key' ? active.id : '';
  const [start, end] = id ? [active.selectionStart, active.selectionEnd] : [0, 0];
  draw();
  const again = id && document.getElementById(id);
  if (again) {
    again.focus();
    again.setSelectionRange(start, end);
  }
}

async function dlqView() {
  const asked = dlq.wanted;
  dlq.wanted = false;
  // The 5-second timer leaves the page alone while an input is edited or a key typed.
  const typing = dlq.editing.size > 0 || (document.activeElement && document.activeElement.id === 'dlq-key');
  if (!asked && typing && document.getElementById('dlq-page')) return;
  const query = dlqQuery({ limit: '100' });
  if (dlq.reason) query.set('reason', dlq.reason);
  const [{ entries, next_after }, { groups, total }, flows, opened] = await Promise.all([
    api('GET', '/api/v1/dlq?' + query),
    api('GET', '/api/v1/dlq?' + dlqQuery({ group_by: 'reason' })),
    api('GET', '/api/v1/flows').then((r) => r.flows),
    Promise.all([...app.openLetters.keys()].map((id) => apiOptional('/api/v1/dlq/' + id))),
  ]);
  app.flows = flows;
  updateDlqCount();
  for (const full of opened) if (full) app.openLetters.set(full.id, full);
  for (const [id, at] of app.handled) if (Date.now() - at > 30000) app.handled.delete(id);
  for (const id of dlq.editing.keys()) if (!app.openLetters.has(id)) dlq.editing.delete(id);
  const operator = app.role === 'operator';
  const shown = entries.filter((d) => !app.handled.has(d.id));
  const pendingShown = new Set(shown.filter((d) => d.status === 'pending').map((d) => d.id));
  dlq.selected = new Set([...dlq.selected].filter((id) => pendingShown.has(id)));
  if (dlq.result && Date.now() - dlq.result.at > 15000) dlq.result = null;
  const names = [...new Set([...flows.map((f) => f.name), ...entries.map((d) => d.flow)])].sort();
  const filtered = dlq.status !== 'pending' || app.dlqFlow || dlq.key || dlq.reason;
  keepingFocus(() => show(el('div', { id: 'dlq-page' },
    el('h1', {}, 'Dead letters'),
    el('p', { class: 'muted' }, 'Records a flow could not deliver, one entry per flow and key. Click one to see its input and history. ',
      operator ? 'Replay sends it through the flow again (fix the cause first, or edit its input); discard drops it.' : 'Replay and discard need an operator token.'),
    dlq.result ? el('p', { id: 'dlq-result', role: 'status', class: dlq.result.error ? 'error' : 'ok' }, dlq.result.text) : null,
    filterBar(names),
    groups.length ? reasonsTable(groups, total) : null,
    reasonBar(groups, operator),
    operator && shown.some((d) => d.status === 'pending') ? selectionBar(shown) : null,
    shown.length === 0 ? el('p', { class: 'empty', id: 'dlq-empty' },
      filtered ? 'No dead letters match.' : 'No dead letters. Everything was delivered.') : entriesTable(shown, operator),
    next_after ? el('p', { class: 'muted' }, 'Showing the first 100; narrow by flow, reason or key to see the rest.') : null,
    openedElsewhere(shown, operator))));
  syncSelection();
}
