// synchub dashboard: the map of the systems. Each connector of the hub (CRM, ERP, OA, finance...)
// is a node, each flow an edge from its source's connector to its target's, coloured by the flow's
// state and labelled with its rate and lag. Nodes sit on an ellipse (wide on a wall screen, tall
// on a phone); edges between one pair of systems bend apart so each keeps its own label.
// A system one of whose sources fails is red.
'use strict';

const connectorOf = (stream) => String(stream).split('.')[0];

// { name -> {name, streams: Set, sources: [{name, state}]} } from the flows and the sources (or null).
function mapSystems(flows, sources) {
  const systems = new Map();
  const system = (name) => {
    if (!systems.has(name)) systems.set(name, { name, streams: new Set(), sources: new Map() });
    return systems.get(name);
  };
  for (const f of flows) {
    system(connectorOf(f.from)).streams.add(f.from);
    system(connectorOf(f.to)).streams.add(f.to);
    if (f.source && f.source.state) system(connectorOf(f.from)).sources.set(f.source.name || f.from, f.source.state);
  }
  for (const s of sources || []) {
    system(s.connector || connectorOf(s.name)).streams.add(s.name);
    system(s.connector || connectorOf(s.name)).sources.set(s.name, s.state);
  }
  return [...systems.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function systemState(s) {
  const states = [...s.sources.values()];
  if (states.includes('failing')) return 'failing';
  if (states.includes('backing_off') || states.includes('backing-off')) return 'backing-off';
  return states.length && states.every((x) => x === 'paused') ? 'paused' : 'ok';
}

// Where the line from the centre of a w×h box towards (dx, dy) leaves the box.
function boxEdge(cx, cy, w, h, dx, dy) {
  const scale = 1 / Math.max(Math.abs(dx) / (w / 2 + 6), Math.abs(dy) / (h / 2 + 6), 1e-9);
  return [cx + dx * scale, cy + dy * scale];
}

function edgeLabel(f) {
  const rate = f.windows ? number(f.windows['5m'].read_per_second) + '/s' : '';
  const lag = 'lag ' + number(f.lag_events) + (f.lag_seconds ? ' (' + duration(f.lag_seconds) + ')' : '');
  return [f.name, rate + ' · ' + lag];
}

function drawEdge(svg, f, a, b, bend, box) {
  const state = f.state === 'source-failing' ? 'failing' : f.state;  // drawn as failing: nothing comes
  const g = svgNode('g', { class: 'edge edge-' + state, 'data-edge': f.name, 'data-from': a.name, 'data-to': b.name });
  let d, lx, ly;
  if (a === b) {  // a flow within one system: a loop above its node
    const x0 = a.x - 24, x1 = a.x + 24, y0 = a.y - box.h / 2 - 4, lift = 56 + 26 * bend;
    d = `M${x0},${y0} C${x0 - 30},${y0 - lift} ${x1 + 30},${y0 - lift} ${x1},${y0}`;
    [lx, ly] = [a.x, y0 - lift * 0.75];
  } else {
    const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
    const [nx, ny] = [-dy / len, dx / len];  // the normal: bends one way or the other
    const [cx, cy] = [(a.x + b.x) / 2 + nx * bend * 46, (a.y + b.y) / 2 + ny * bend * 46];
    const [sx, sy] = boxEdge(a.x, a.y, box.w, box.h, cx - a.x, cy - a.y);
    const [ex, ey] = boxEdge(b.x, b.y, box.w, box.h, cx - b.x, cy - b.y);
    d = `M${sx.toFixed(1)},${sy.toFixed(1)} Q${cx.toFixed(1)},${cy.toFixed(1)} ${ex.toFixed(1)},${ey.toFixed(1)}`;
    [lx, ly] = [0.25 * sx + 0.5 * cx + 0.25 * ex, 0.25 * sy + 0.5 * cy + 0.25 * ey];
  }
  g.append(svgNode('path', { class: 'edge-line', d, 'marker-end': 'url(#arrow-' + state + ')' }));
  const [name, numbers] = edgeLabel(f);
  const w = Math.max(name.length, numbers.length) * 6.6 + 12;
  const label = svgNode('g', { class: 'edge-label' });
  label.append(svgNode('rect', { x: lx - w / 2, y: ly - 17, width: w, height: 34, rx: 4 }),
    svgNode('text', { x: lx, y: ly - 3, 'text-anchor': 'middle', class: 'edge-name' }, name),
    svgNode('text', { x: lx, y: ly + 12, 'text-anchor': 'middle', class: 'edge-numbers' }, numbers));
  g.append(svgNode('title', {}, `${f.name}: ${f.from} → ${f.to}, ${f.state}` + (f.last_error ? '\n' + f.last_error.message : '')), label);
  g.addEventListener('click', () => (location.hash = '#/flows/' + encodeURIComponent(f.name)));
  svg.append(g);
  return { g: label, x0: lx, y0: ly, x: lx, y: ly, w, h: 34 };
}

// Moves labels that overlap apart (vertically, a few passes) and into the picture.
function spreadLabels(labels, W, H) {
  for (let pass = 0; pass < 30; ++pass) {
    let moved = false;
    for (let i = 0; i < labels.length; ++i)
      for (let j = i + 1; j < labels.length; ++j) {
        const [a, b] = [labels[i], labels[j]];
        const overlapX = (a.w + b.w) / 2 + 4 - Math.abs(a.x - b.x), overlapY = (a.h + b.h) / 2 + 4 - Math.abs(a.y - b.y);
        if (overlapX <= 0 || overlapY <= 0) continue;
        const away = a.y <= b.y ? 1 : -1;
        a.y -= (away * overlapY) / 2;
        b.y += (away * overlapY) / 2;
        moved = true;
      }
    if (!moved) break;
  }
  for (const l of labels) {
    l.x = Math.min(Math.max(l.x, l.w / 2 + 2), W - l.w / 2 - 2);
    l.y = Math.min(Math.max(l.y, l.h / 2 + 2), H - l.h / 2 - 2);
    l.g.setAttribute('transform', `translate(${(l.x - l.x0).toFixed(1)},${(l.y - l.y0).toFixed(1)})`);
  }
}

function drawNode(svg, s, box) {
  const state = systemState(s);
  const g = svgNode('g', { class: 'node node-' + state, 'data-system': s.name, 'data-state': state });
  g.append(svgNode('rect', { x: s.x - box.w / 2, y: s.y - box.h / 2, width: box.w, height: box.h, rx: 8 }),
    svgNode('text', { x: s.x, y: s.y - 3, 'text-anchor': 'middle', class: 'node-name' }, s.name),
    svgNode('text', { x: s.x, y: s.y + 13, 'text-anchor': 'middle', class: 'node-detail' },
      s.streams.size + (s.streams.size === 1 ? ' stream' : ' streams') + (state === 'failing' ? ' · source failing' : '')));
  const failing = [...s.sources].filter(([, st]) => st === 'failing').map(([n]) => n);
  g.append(svgNode('title', {}, s.name + ': ' + [...s.streams].join(', ') + (failing.length ? '\nfailing: ' + failing.join(', ') : '')));
  svg.append(g);
}

// The map as an SVG `width` wide.
function systemMap(flows, sources, width) {
  const systems = mapSystems(flows, sources);
  const narrow = width < 600;
  const W = width, H = narrow ? 460 : Math.min(560, Math.max(340, W * 0.38));
  const box = { w: narrow ? 112 : 150, h: 42 };
  const ry = H / 2 - box.h / 2 - 30, rx = Math.max(10, Math.min(W / 2 - box.w / 2 - 14, ry * 2.6));  // not a thin band on a wall screen
  systems.forEach((s, i) => {  // the first on the left, then clockwise
    const angle = Math.PI + (2 * Math.PI * i) / systems.length;
    s.x = W / 2 + (systems.length > 1 ? rx * Math.cos(angle) : 0);
    s.y = H / 2 + 12 + (systems.length > 1 ? ry * Math.sin(angle) : 0);
  });
  const svg = svgNode('svg', { id: 'map', class: 'map', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
  svg.append(svgNode('title', {}, 'The systems this hub connects and the flows between them'));
  const defs = svgNode('defs');
  for (const state of ['running', 'idle', 'paused', 'backing-off', 'failing']) {
    const marker = svgNode('marker', { id: 'arrow-' + state, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svgNode('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow arrow-' + state }));
    defs.append(marker);
  }
  svg.append(defs);
  const byName = new Map(systems.map((s) => [s.name, s]));
  const pairs = new Map();  // "a|b" (sorted) -> flows between a and b, either way
  for (const f of flows) {
    const [a, b] = [connectorOf(f.from), connectorOf(f.to)];
    const key = [a, b].sort().join('|');
    if (!pairs.has(key)) pairs.set(key, []);
    pairs.get(key).push(f);
  }
  const labels = [];
  for (const group of pairs.values())
    group.forEach((f, i) => {
      const [a, b] = [byName.get(connectorOf(f.from)), byName.get(connectorOf(f.to))];
      const flip = a.name > b.name ? -1 : 1;  // one normal per pair, whichever way the flow goes
      const bend = a === b ? i : (i - (group.length - 1) / 2) * flip;
      labels.push(drawEdge(svg, f, a, b, bend, box));
    });
  systems.forEach((s) => drawNode(svg, s, box));
  spreadLabels(labels, W, H);
  for (const l of labels) svg.append(l.g.parentNode);  // labels above the nodes
  return svg;
}
