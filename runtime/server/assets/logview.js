// logview.js — the run page's log panel: keeps the lines received from the stream,
// shows those of the chosen stage (or all) that match the search, with the matches
// highlighted. At most the last MAX_SHOWN matching lines are in the page; appends are
// batched per animation frame so a replayed history does not stall the browser.

import { h, replace } from './dom.js';
import { clock } from './format.js';

const MAX_KEPT = 100000;
const MAX_SHOWN = 5000;

/** The key of a stage instance (as the run page's). */
function stageKey(service, stage) {
  return `${service}\u0000${stage}`;
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Creates the panel. `onFilterChange(key|null)` is called when the stage filter
 * changes. Returns `{ element, add, setFilter, filter, setPruned, destroy }`.
 */
export function createLogView({ onFilterChange = () => {} } = {}) {
  let lines = [];
  let dropped = 0;
  let filter = null;
  let test = null;      // case-insensitive RegExp of the search, or null
  let marker = null;    // the same, global, for highlighting
  let queue = [];
  let frame = 0;
  let searchTimer = null;
  let shown = 0;
  let matching = 0;

  const out = h('div', { class: 'log-out', role: 'log', 'aria-live': 'off', tabindex: 0, 'aria-label': 'Log lines', 'data-testid': 'log-lines' });
  const empty = h('p', { class: 'muted log-empty' }, 'No log lines yet.');
  const search = h('input', { type: 'search', placeholder: 'Search logs', 'aria-label': 'Search logs', 'data-testid': 'log-search' });
  const follow = h('input', { type: 'checkbox', checked: true, 'data-testid': 'log-autoscroll' });
  const allButton = h('button', { type: 'button', class: 'button small', disabled: true, 'data-testid': 'log-filter-all', onclick: () => setFilter(null) }, 'All stages');
  const filterEl = h('span', { class: 'log-filter', 'data-testid': 'log-filter' }, 'all stages');
  const info = h('span', { class: 'muted', 'data-testid': 'log-count' }, '');
  const pruned = h('p', { class: 'notice', hidden: true, 'data-testid': 'logs-pruned' });

  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const value = search.value;
      test = value ? new RegExp(escapeRegExp(value), 'i') : null;
      marker = value ? new RegExp(escapeRegExp(value), 'gi') : null;
      renderAll();
    }, 150);
  });
  follow.addEventListener('change', () => { if (follow.checked) toBottom(); });

  const element = h('section', { class: 'card logs', 'aria-label': 'Logs' },
    h('div', { class: 'logs-bar' },
      h('h2', {}, 'Logs'),
      h('span', { class: 'muted' }, 'Showing '), filterEl, allButton,
      h('span', { class: 'spacer' }),
      search,
      h('label', { class: 'check' }, follow, ' Follow')),
    pruned, empty, out,
    h('div', { class: 'logs-foot' }, info));

  function matches(l) {
    return (filter == null || l.key === filter) && (!test || test.test(l.line));
  }

  function highlight(text) {
    if (!marker) return text;
    const parts = [];
    let last = 0;
    marker.lastIndex = 0;
    let m;
    while ((m = marker.exec(text)) !== null) {
      if (m.index > last) parts.push(text.slice(last, m.index));
      parts.push(h('mark', {}, m[0]));
      last = m.index + m[0].length;
    }
    parts.push(text.slice(last));
    return parts;
  }

  function lineEl(l) {
    return h('div', { class: `log-line src-${l.source}` },
      h('span', { class: 'log-at' }, clock(l.at)),
      filter == null ? h('span', { class: 'log-where' }, `${l.service || 'run'}/${l.stage}`) : null,
      h('span', { class: 'log-text' }, highlight(l.line)));
  }

  function toBottom() {
    out.scrollTop = out.scrollHeight;
  }

  function paintInfo() {
    empty.hidden = shown > 0;
    const parts = [`${matching} line${matching === 1 ? '' : 's'}`];
    if (matching > shown) parts.push(`showing the last ${shown}`);
    if (dropped) parts.push(`${dropped} oldest lines no longer kept`);
    info.textContent = parts.join(' · ');
  }

  /** Appends the queued lines (once per frame). */
  function flush() {
    frame = 0;
    if (queue.length > MAX_SHOWN) queue = queue.slice(-MAX_SHOWN);
    const fragment = document.createDocumentFragment();
    for (const l of queue) fragment.append(lineEl(l));
    shown += queue.length;
    queue = [];
    out.append(fragment);
    while (shown > MAX_SHOWN && out.firstChild) {
      out.firstChild.remove();
      shown--;
    }
    paintInfo();
    if (follow.checked) toBottom();
  }

  /** Shows again every kept line that matches (after a filter or search change). */
  function renderAll() {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    queue = [];
    const found = lines.filter(matches);
    matching = found.length;
    const last = found.slice(-MAX_SHOWN);
    replace(out, last.map(lineEl));
    shown = last.length;
    paintInfo();
    if (follow.checked) toBottom();
  }

  /** Adds a `log` event's line. */
  function add(data) {
    const service = data.service || '';
    const l = {
      key: stageKey(service, data.stage), service, stage: data.stage,
      source: data.source || 'stdout', line: String(data.line ?? ''), at: data.at,
    };
    lines.push(l);
    if (lines.length > MAX_KEPT + 10000) {
      const n = lines.length - MAX_KEPT;
      lines = lines.slice(n);
      dropped += n;
    }
    if (!matches(l)) return;
    matching++;
    queue.push(l);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  /** Shows only the lines of stage instance `key` (null: all); `label` names it. */
  function setFilter(key, label) {
    filter = key;
    filterEl.textContent = key == null ? 'all stages' : label;
    allButton.disabled = key == null;
    renderAll();
    onFilterChange(key);
  }

  function setPruned(at) {
    pruned.hidden = !at;
    if (at) pruned.textContent = `The logs of this run were deleted by retention (${new Date(at).toLocaleString()}).`;
  }

  function destroy() {
    if (frame) cancelAnimationFrame(frame);
    clearTimeout(searchTimer);
  }

  paintInfo();
  return {
    element, add, setFilter, setPruned, destroy,
    get filter() { return filter; },
  };
}
