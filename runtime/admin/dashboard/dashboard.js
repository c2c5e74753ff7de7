// synchub dashboard: reads the admin API (/api/v1) with the token the user
// signs in with (kept for the browser tab only), redraws every 5 seconds.
// Views, one file each (loaded before this one, which holds the helpers and the frame):
//   #/ the hub at a glance (summary.js, map.js)   #/flows/NAME one flow (flow.js, charts.js)
//   #/sources, #/sources/NAME (sources.js)        #/dlq dead letters (dlq.js)
//   #/trace/KEY a document's lineage (trace.js)   #/reconciliation... (reconciliation.js)
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
  expanded: new Set(),  // long texts shown whole (clip ids), kept across refreshes
  window: '1h',  // the charts' time window
  timer: 0,
  busy: false,
};

class SignInNeeded extends Error {}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// `body` (optional) is sent as JSON. X-Synchub-Client names the dashboard in what the hub records
// of a change (a dead letter's history: "operator token 1 (dashboard)").
async function api(method, path, body) {
  const headers = { Accept: 'application/json', 'X-Synchub-Client': 'dashboard' };
  if (app.token) headers.Authorization = 'Bearer ' + app.token;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) throw new SignInNeeded();
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, answer.message || response.status + ' ' + response.statusText);
  return answer;
}

// GET that answers null when the hub has no such route or thing (404): a part of the page
// that says "unavailable" instead of failing the whole view.
async function apiOptional(path) {
  try {
    return await api('GET', path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

// el('td', {class: 'num'}, 'text', childNode...): attributes, then children (strings become text;
// arrays, nested or not, are spread).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svgNode(tag, attrs, text) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
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
const plural = (n, one, many) => number(n) + ' ' + (n === 1 ? one : many);

function stateBadge(state) {
  return el('span', { class: 'state state-' + state, 'data-state': state }, String(state).replace('_', ' '));
}

// A long text (an error) cut to two lines; a click shows it whole (and the title on hover).
// `id` keeps it open across the 5-second redraws.
function clip(text, id, cls) {
  if (!text) return el('span', { class: 'muted' }, '');
  const open = app.expanded.has(id);
  return el('div', { class: 'clip ' + (cls || 'error') + (open ? ' open' : ''), title: text, tabindex: 0, 'data-clip': id,
    onclick: (e) => {
      e.stopPropagation();
      if (app.expanded.has(id)) app.expanded.delete(id);
      else app.expanded.add(id);
      e.currentTarget.classList.toggle('open');
    } }, text);
}

// A table that scrolls inside its own box on a narrow screen instead of widening the page.
const scroller = (table) => el('div', { class: 'scroll' }, table);

const card = (label, ...value) => el('div', { class: 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, ...value));

const flowLink = (name) => el('a', { href: '#/flows/' + encodeURIComponent(name) }, name);
const sourceLink = (name) => el('a', { href: '#/sources/' + encodeURIComponent(name) }, name);
const traceLink = (key, text) => el('a', { href: '#/trace/' + encodeURIComponent(key), class: 'trace-link', 'data-trace': key,
  onclick: (e) => e.stopPropagation() }, text || key);

function show(...nodes) {
  document.getElementById('view').replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined));
  drawCharts();
}

function flash(message, isError) {
  const note = el('p', { class: isError ? 'error' : 'muted', role: 'status' }, message);
  document.getElementById('view').prepend(note);
  setTimeout(() => note.remove(), 4000);
}

function updateDlqCount() {
  const total = app.flows.reduce((n, f) => n + (f.dead_letters || 0), 0);
  document.getElementById('dlq-count').textContent = total ? String(total) : '';
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

const ROUTES = [
  ['#/flows/', 'overview', (rest) => flowView(rest)],
  ['#/sources/', 'sources', (rest) => sourceView(rest)],
  ['#/sources', 'sources', () => sourcesView()],
  ['#/dlq', 'dlq', () => dlqView()],
  ['#/trace/', '', (rest) => traceView(rest)],
  ['#/reconciliation', 'reconciliation', (rest, hash) => reconciliationRoute(hash)],
];

async function route(hash) {
  for (const [prefix, tab, view] of ROUTES) {
    if (!hash.startsWith(prefix)) continue;
    markTab(tab);
    return view(decodeURIComponent(hash.slice(prefix.length)), hash);
  }
  markTab('overview');
  return summaryView();
}

function markTab(tab) {
  for (const name of ['overview', 'sources', 'dlq', 'reconciliation'])
    document.getElementById('nav-' + name).classList.toggle('active', tab === name);
}

async function refresh() {
  clearTimeout(app.timer);
  if (app.busy) return;
  app.busy = true;
  try {
    if (!app.role) {
      app.role = (await api('GET', '/api/v1/whoami')).role;
      document.getElementById('role').textContent = app.role;
      document.getElementById('sign-out').hidden = !app.token;
    }
    await route(location.hash || '#/');
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
let resizeTimer = 0;
window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCharts, 150); });
refresh();
