// pages/active.js — `/active`: the runs in progress or awaiting approval, newest first.
// `run` events from the live feed add a run that starts (its view is fetched once),
// update one that changes, and remove one that ends.

import { get, qs, isAbort } from '../api.js';
import { h, replace, path } from '../dom.js';
import { subscribe } from '../live.js';
import { ageEl, badge, commitEl, duration, isTerminalRun, triggerLabel } from '../format.js';

const STATUSES = ['in-progress', 'awaiting-approval'];

export function mount(root, _params, { scope }) {
  document.title = 'Active runs · Seamless';
  const runs = new Map();   // run id → { run, seen: Date.now() when its duration was read }
  const ended = new Set();  // runs that ended: late answers must not bring them back
  const fetching = new Set();
  let loaded = false;

  const count = h('span', { class: 'muted', 'data-testid': 'active-count' });
  const body = h('tbody', {});
  const empty = h('p', { class: 'empty', hidden: true, 'data-testid': 'active-empty' }, 'No runs in progress.');
  const table = h('table', { class: 'list', hidden: true },
    h('thead', {}, h('tr', {}, ['Run', 'Pipeline', 'Trigger', 'Branch', 'Commit', 'Status', 'Started', 'Duration'].map((c) => h('th', { scope: 'col' }, c)))),
    body);
  const loading = h('p', { class: 'muted' }, 'Loading…');
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Active runs'), count),
    h('section', { class: 'card' }, loading, empty, table));

  subscribe('/api/v1/events?no_logs=true', { run: onRun }, scope);
  const ticker = setInterval(tick, 1000);
  scope.onCleanup(() => clearInterval(ticker));
  load();

  async function load() {
    try {
      const pages = await Promise.all(STATUSES.map((status) =>
        get('/api/v1/runs' + qs({ status, limit: 200 }), { signal: scope.signal })));
      for (const page of pages) for (const run of page.runs) add(run);
    } catch (e) {
      if (!isAbort(e)) replace(loading, h('span', { class: 'error' }, `Cannot load the runs: ${e.message}`));
      return;
    }
    loading.remove();
    loaded = true;
    render();
  }

  function add(run) {
    if (ended.has(run.id) || isTerminalRun(run.status)) return;
    const known = runs.get(run.id);
    // A status from the stream is newer than a listed one.
    runs.set(run.id, { run: known ? { ...run, status: known.run.status } : run, seen: Date.now() });
  }

  async function onRun(ev) {
    if (isTerminalRun(ev.status)) {
      ended.add(ev.run_id);
      if (runs.delete(ev.run_id)) render();
      return;
    }
    const known = runs.get(ev.run_id);
    if (known) {
      known.run = { ...known.run, status: ev.status };
      render();
      return;
    }
    if (fetching.has(ev.run_id)) return;
    fetching.add(ev.run_id);
    try {
      const detail = await get(path('api', 'v1', 'runs', ev.run_id), { signal: scope.signal, quiet: true });
      add(detail.run);
      render();
    } catch {
      // gone already, or the page was left
    } finally {
      fetching.delete(ev.run_id);
    }
  }

  function elapsed(entry) {
    return entry.run.duration_ms + (Date.now() - entry.seen);
  }

  function render() {
    if (!loaded) return;
    const list = [...runs.values()].sort((a, b) => b.run.created_at - a.run.created_at);
    count.textContent = list.length ? `${list.length} run${list.length === 1 ? '' : 's'}` : '';
    empty.hidden = list.length > 0;
    table.hidden = list.length === 0;
    replace(body, list.map((entry) => {
      const run = entry.run;
      return h('tr', { 'data-testid': `active-run-${run.id}`, class: run.status === 'awaiting-approval' ? 'attention' : null },
        h('td', {}, h('a', { href: path('runs', run.id) }, h('code', {}, run.id))),
        h('td', {}, run.pipeline),
        h('td', {}, triggerLabel(run.trigger)),
        h('td', {}, run.branch || '—'),
        h('td', {}, commitEl(run.commit)),
        h('td', {}, badge(run.status)),
        h('td', {}, ageEl(run.created_at)),
        h('td', { 'data-duration': run.id }, duration(elapsed(entry))));
    }));
  }

  function tick() {
    for (const td of body.querySelectorAll('td[data-duration]')) {
      const entry = runs.get(td.dataset.duration);
      if (entry) td.textContent = duration(elapsed(entry));
    }
  }
}
