// synchub dashboard: reads the admin API (/api/v1) with the token the user
// signs in with (kept for the browser tab only), redraws every 5 seconds.
// Views: #/ flows, #/flows/NAME one flow with its runs, #/dlq dead letters,
// #/reconciliation... (reconciliation.js).
// Record text is only ever put into the page as text, never as HTML.
'use strict';

const REFRESH_MS = 5000;
const app = {
  token: sessionStorage.getItem('synchub.token') || '',
  role: '',
  flows: [],
  openLetters: new Map(),  // dead letter id -> full entry, kept open across refreshes
  dlqFlow: '',
  handled: new Map(),  // dead letter id -> when it was replayed or discarded here (a list fetched before may still show it)
  timer: 0,
  busy: false,
};

class SignInNeeded extends Error {}

async function api(method, path) {
  const headers = { Accept: 'application/json' };
  if (app.token) headers.Authorization = 'Bearer ' + app.token;
  const response = await fetch(path, { method, headers });
  if (response.status === 401) throw new SignInNeeded();
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || response.status + ' ' + response.statusText);
  return body;
}

// el('td', {class: 'num'}, 'text', childNode...): attributes, then children (strings become text).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function ago(iso) {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return seconds + ' s ago';
  if (seconds < 3600) return Math.round(seconds / 60) + ' min ago';
  if (seconds < 86400) return Math.round(seconds / 3600) + ' h ago';
  return Math.round(seconds / 86400) + ' d ago';
}

function when(iso) {
  return iso ? el('span', { title: iso }, ago(iso)) : el('span', { class: 'muted' }, 'never');
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return seconds.toFixed(seconds < 10 ? 1 : 0) + ' s';
  if (seconds < 3600) return Math.round(seconds / 60) + ' min';
  return (seconds / 3600).toFixed(1) + ' h';
}

const number = (n) => (n === null || n === undefined ? '' : Number(n).toLocaleString('en-US'));

function stateBadge(state) {
  return el('span', { class: 'state state-' + state, 'data-state': state }, state);
}

// Records read per minute over the last 30 minutes as a small line.
function sparkline(points) {
  const w = 120, h = 24, n = points.length;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', w);
  svg.setAttribute('height', h);
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
  title.textContent = 'records read per minute, last ' + n + ' minutes: ' + points.join(', ');
  svg.append(title);
  if (n > 1) {
    const top = Math.max(1, ...points);
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', points.map((p, i) => `${(i * (w - 2)) / (n - 1) + 1},${h - 2 - (p / top) * (h - 4)}`).join(' '));
    svg.append(line);
  }
  return svg;
}

function show(...nodes) {
  document.getElementById('view').replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
}

function flash(message, isError) {
  const note = el('p', { class: isError ? 'error' : 'muted', role: 'status' }, message);
  document.getElementById('view').prepend(note);
  setTimeout(() => note.remove(), 4000);
}

// ---- flows ------------------------------------------------------------------

async function flowsView() {
  const { flows } = await api('GET', '/api/v1/flows');
  app.flows = flows;
  updateDlqCount();
  if (flows.length === 0) return show(el('h1', {}, 'Flows'), el('p', { class: 'empty' }, 'No flow is enabled in this hub.'));
  const rows = flows.map((f) =>
    el('tr', { class: 'clickable', 'data-flow': f.name, onclick: () => (location.hash = '#/flows/' + encodeURIComponent(f.name)) },
      el('td', {}, el('strong', {}, f.name), el('div', { class: 'muted' }, f.from + ' → ' + f.to)),
      el('td', {}, stateBadge(f.state)),
      el('td', { class: 'num' }, number(f.lag_events), el('div', { class: 'muted' }, f.lag_seconds ? duration(f.lag_seconds) + ' behind' : '')),
      el('td', { class: 'num' }, number(f.windows['5m'].read_per_second) + '/s'),
      el('td', {}, sparkline(f.read_per_minute || [])),
      el('td', { class: 'num' }, number(f.windows['24h'].created + f.windows['24h'].updated)),
      el('td', { class: 'num' }, f.dead_letters ? el('a', { href: '#/dlq', class: 'error' }, number(f.dead_letters)) : '0'),
      el('td', {}, when(f.last_success)),
      el('td', { class: 'truncate error', title: f.last_error ? f.last_error.message : '' }, f.last_error ? f.last_error.message : ''),
    ));
  show(
    el('h1', {}, 'Flows'),
    el('table', { id: 'flows' },
      el('thead', {}, el('tr', {},
        el('th', {}, 'Flow'), el('th', {}, 'State'), el('th', { class: 'num' }, 'Lag (events)'),
        el('th', { class: 'num' }, 'Read, 5 min'), el('th', {}, 'Last 30 min'), el('th', { class: 'num' }, 'Written, 24 h'),
        el('th', { class: 'num' }, 'Dead letters'), el('th', {}, 'Last success'), el('th', {}, 'Last error'))),
      el('tbody', {}, rows)));
}

async function flowView(name) {
  const [f, { runs }] = await Promise.all([
    api('GET', '/api/v1/flows/' + encodeURIComponent(name)),
    api('GET', '/api/v1/flows/' + encodeURIComponent(name) + '/runs?limit=30'),
  ]);
  const card = (label, ...value) => el('div', { class: 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, ...value));
  const act = (action, label, cls) =>
    el('button', { class: cls, onclick: async (e) => {
      e.target.disabled = true;
      try {
        await api('POST', `/api/v1/flows/${encodeURIComponent(name)}/${action}`);
        flash(label + ': requested');
      } catch (err) { handle(err); }
      setTimeout(refresh, 400);
    } }, label);
  const operator = app.role === 'operator';
  const outcomes = ['read', 'created', 'updated', 'unchanged', 'failed', 'dead_lettered'];
  show(
    el('p', {}, el('a', { href: '#/' }, '← all flows')),
    el('h1', {}, f.name, ' ', stateBadge(f.state)),
    el('p', { class: 'muted' }, f.from + ' → ' + f.to),
    operator ? el('div', { class: 'actions' },
      f.state === 'paused' ? act('resume', 'Resume', 'primary') : act('pause', 'Pause'),
      act('trigger', 'Poll the source now')) : null,
    el('div', { class: 'cards' },
      card('Lag', number(f.lag_events) + ' events', f.lag_seconds ? el('div', { class: 'muted' }, duration(f.lag_seconds) + ' behind') : null),
      card('Read / s (5 min)', number(f.windows['5m'].read_per_second)),
      card('Last success', when(f.last_success)),
      card('Source cursor', f.source_cursor || '—'),
      card('Retry', f.retry.attempt ? 'attempt ' + f.retry.attempt : 'none',
        f.retry.next_attempt ? el('div', { class: 'muted' }, 'next ' + f.retry.next_attempt) : null),
      card('Dead letters', number(f.dead_letters))),
    f.last_error ? el('div', {}, el('h2', {}, 'Last error ', el('span', { class: 'muted' }, ago(f.last_error.time))),
      el('pre', { class: 'error-text' }, f.last_error.message)) : null,
    el('h2', {}, 'Counts'),
    el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Window'), outcomes.map((o) => el('th', { class: 'num' }, o.replace('_', ' '))))),
      el('tbody', {}, ['5m', '1h', '24h'].map((w) =>
        el('tr', {}, el('td', {}, { '5m': 'last 5 min', '1h': 'last hour', '24h': 'last 24 h' }[w]),
          outcomes.map((o) => el('td', { class: 'num' }, number(f.windows[w][o]))))))),
    el('h2', {}, 'Recent runs'),
    runs.length === 0 ? el('p', { class: 'empty' }, 'No run recorded yet.') :
      el('table', { id: 'runs' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Started'), el('th', { class: 'num' }, 'Duration'),
          ['read', 'created', 'updated', 'unchanged', 'failed', 'dead_lettered'].map((o) => el('th', { class: 'num' }, o.replace('_', ' '))),
          el('th', {}, 'Error'))),
        el('tbody', {}, runs.map((r) => el('tr', {},
          el('td', {}, when(r.started)), el('td', { class: 'num' }, r.finished ? duration(r.duration_ms / 1000) : 'running'),
          ['read', 'created', 'updated', 'unchanged', 'failed', 'dead_lettered'].map((o) => el('td', { class: 'num' }, number(r[o]))),
          el('td', { class: 'truncate error', title: r.error || '' }, r.error || ''))))));
}

// ---- dead letters -------------------------------------------------------------

function updateDlqCount() {
  const total = app.flows.reduce((n, f) => n + (f.dead_letters || 0), 0);
  document.getElementById('dlq-count').textContent = total ? String(total) : '';
}

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
      el('td', {}, d.key),
      el('td', {}, when(d.created)),
      el('td', { class: 'num' }, d.attempts),
      el('td', { class: 'truncate error', title: d.error }, d.error),
      el('td', {}, operator ? el('div', { class: 'actions', onclick: (e) => e.stopPropagation() },
        el('button', { class: 'primary', 'data-action': 'replay', onclick: () => act(d, 'replay') }, 'Replay'),
        el('button', { class: 'danger', 'data-action': 'discard', onclick: () => act(d, 'discard') }, 'Discard')) : null));
    const full = app.openLetters.get(d.id);
    if (!full) return [row];
    return [row, el('tr', { class: 'detail', 'data-dead-letter': d.id },
      el('td', { colspan: 7 },
        el('div', {}, el('strong', {}, 'Error: '), el('span', { class: 'error' }, full.error)),
        el('div', { class: 'muted' }, `origin ${full.origin} · mapping ${full.mapping_version || '—'} · updated ${full.updated}`),
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
      el('table', { id: 'dlq' },
        el('thead', {}, el('tr', {}, el('th', { class: 'num' }, 'Id'), el('th', {}, 'Flow'), el('th', {}, 'Key'),
          el('th', {}, 'Since'), el('th', { class: 'num' }, 'Attempts'), el('th', {}, 'Error'), el('th', {}, ''))),
        el('tbody', {}, rows)),
    next_after ? el('p', { class: 'muted' }, 'Showing the first 100; narrow by flow to see the rest.') : null);
}

// ---- frame ----------------------------------------------------------------------

function handle(err) {
  if (err instanceof SignInNeeded) return signIn(app.token ? 'That token was not accepted.' : '');
  flash(String(err.message || err), true);
}

function signIn(message) {
  clearTimeout(app.timer);
  document.getElementById('view').replaceChildren();
  document.getElementById('sign-in').hidden = false;
  document.getElementById('sign-in-error').textContent = message || '';
  document.getElementById('token').focus();
}

async function refresh() {
  clearTimeout(app.timer);
  if (app.busy) return;
  app.busy = true;
  const hash = location.hash || '#/';
  const tab = hash.startsWith('#/dlq') ? 'dlq' : hash.startsWith('#/reconciliation') ? 'reconciliation' : 'flows';
  for (const name of ['flows', 'dlq', 'reconciliation'])
    document.getElementById('nav-' + name).classList.toggle('active', tab === name);
  try {
    if (!app.role) {
      app.role = (await api('GET', '/api/v1/whoami')).role;
      document.getElementById('role').textContent = app.role;
      document.getElementById('sign-out').hidden = !app.token;
    }
    if (hash.startsWith('#/flows/')) await flowView(decodeURIComponent(hash.slice(8)));
    else if (hash.startsWith('#/dlq')) await dlqView();
    else if (hash.startsWith('#/reconciliation')) await reconciliationRoute(hash);
    else await flowsView();
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (err) {
    handle(err);
    if (err instanceof SignInNeeded) { app.busy = false; return; }
  }
  app.busy = false;
  app.timer = setTimeout(refresh, REFRESH_MS);
}

document.getElementById('sign-in').addEventListener('submit', (e) => {
  e.preventDefault();
  app.token = document.getElementById('token').value.trim();
  app.role = '';
  sessionStorage.setItem('synchub.token', app.token);
  document.getElementById('sign-in').hidden = true;
  refresh();
});
document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem('synchub.token');
  app.token = '';
  app.role = '';
  signIn('');
});
window.addEventListener('hashchange', () => { app.openLetters.clear(); refresh(); });
refresh();
