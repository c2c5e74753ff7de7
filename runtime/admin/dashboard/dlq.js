// synchub dashboard, the dead letters (#/dlq): the pending entries of every flow or one, each with
// its input on a click and a link to its trace (#/trace/KEY); replay and discard for operators.
'use strict';

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

async function dlqView() {
  const query = new URLSearchParams({ status: 'pending', limit: '100' });
  if (app.dlqFlow) query.set('flow', app.dlqFlow);
  const [{ entries, next_after }, flows] = await Promise.all([
    api('GET', '/api/v1/dlq?' + query),
    api('GET', '/api/v1/flows').then((r) => r.flows),
  ]);
  app.flows = flows;
  updateDlqCount();
  const operator = app.role === 'operator';
  const names = [...new Set([...flows.map((f) => f.name), ...entries.map((d) => d.flow)])].sort();
  const filter = el('select', { id: 'dlq-flow', onchange: (e) => { app.dlqFlow = e.target.value; refresh(); } },
    el('option', { value: '' }, 'all flows'), names.map((n) => el('option', { value: n, selected: n === app.dlqFlow }, n)));
  const act = async (d, action) => {
    if (action === 'discard' && !confirm(`Discard dead letter #${d.id} (${d.key})? It will not be delivered.`)) return;
    try {
      await api(action === 'replay' ? 'POST' : 'DELETE', `/api/v1/dlq/${d.id}` + (action === 'replay' ? '/replay' : ''));
      app.openLetters.delete(d.id);
      app.handled.set(d.id, Date.now());
      document.querySelectorAll(`[data-dead-letter="${d.id}"]`).forEach((row) => row.remove());
      flash(action === 'replay' ? `#${d.id} sent back to ${d.flow}` : `#${d.id} discarded`);
    } catch (err) { handle(err); }
  };
  const toggle = async (d) => {
    if (app.openLetters.has(d.id)) app.openLetters.delete(d.id);
    else app.openLetters.set(d.id, await api('GET', '/api/v1/dlq/' + d.id));
    refresh();
  };
  for (const [id, at] of app.handled) if (Date.now() - at > 30000) app.handled.delete(id);
  const shown = entries.filter((d) => !app.handled.has(d.id));
  const rows = shown.flatMap((d) => {
    const row = el('tr', { class: 'clickable', 'data-dead-letter': d.id, onclick: () => toggle(d).catch(handle) },
      el('td', { class: 'num' }, '#' + d.id),
      el('td', {}, d.flow, el('div', { class: 'muted' }, d.stage)),
      el('td', {}, d.key, el('div', {}, traceLink(d.key, 'trace →'))),
      el('td', {}, when(d.created)),
      el('td', { class: 'num' }, d.attempts),
      el('td', { class: 'wide' }, clip(d.error, 'dlq:' + d.id)),
      el('td', {}, operator ? el('div', { class: 'actions', onclick: (e) => e.stopPropagation() },
        el('button', { class: 'primary', 'data-action': 'replay', onclick: () => act(d, 'replay') }, 'Replay'),
        el('button', { class: 'danger', 'data-action': 'discard', onclick: () => act(d, 'discard') }, 'Discard')) : null));
    const full = app.openLetters.get(d.id);
    if (!full) return [row];
    return [row, el('tr', { class: 'detail', 'data-dead-letter': d.id },
      el('td', { colspan: 7 },
        el('div', {}, el('strong', {}, 'Error: '), el('span', { class: 'error' }, full.error)),
        el('div', { class: 'muted' }, `origin ${full.origin} · mapping ${full.mapping_version || '—'} · updated ${full.updated}`),
        el('div', {}, traceLink(full.key, 'Trace ' + full.key + ' through the flows →')),
        el('pre', { class: 'record' }, prettyInput(full.input))))];
  });
  show(
    el('h1', {}, 'Dead letters'),
    el('p', { class: 'muted' }, 'Records a flow could not deliver. Click one to see its input. ',
      operator ? 'Replay sends it through the flow again (fix the cause first); discard drops it.' : 'Replay and discard need an operator token.'),
    el('div', { class: 'filters' }, el('label', {}, 'Flow ', filter),
      operator && entries.length ? el('button', { onclick: async () => {
        const q = app.dlqFlow ? '?flow=' + encodeURIComponent(app.dlqFlow) : '';
        try { const r = await api('POST', '/api/v1/dlq/replay' + q); flash(r.requested + ' dead letters sent back'); } catch (err) { handle(err); }
        refresh();
      } }, app.dlqFlow ? 'Replay all of ' + app.dlqFlow : 'Replay all') : null),
    shown.length === 0 ? el('p', { class: 'empty', id: 'dlq-empty' }, 'No dead letters. Everything was delivered.') :
      scroller(el('table', { id: 'dlq' },
        el('thead', {}, el('tr', {}, el('th', { class: 'num' }, 'Id'), el('th', {}, 'Flow'), el('th', {}, 'Key'),
          el('th', {}, 'Since'), el('th', { class: 'num' }, 'Attempts'), el('th', {}, 'Error'), el('th', {}, ''))),
        el('tbody', {}, rows))),
    next_after ? el('p', { class: 'muted' }, 'Showing the first 100; narrow by flow to see the rest.') : null);
}

