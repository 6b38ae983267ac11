// pages/overview.js — `/`: for each pipeline, a table of its services × triggers with
// the latest run of each (status, commit, age). `run` events from the live feed update
// the cells: a shown run changes status in place; a new run is looked up once to learn
// its pipeline, trigger and services.

import { get, qs, isAbort } from '../api.js';
import { h, replace, path } from '../dom.js';
import { subscribe } from '../live.js';
import { ageEl, badge, commitEl, isTerminalRun, triggerLabel } from '../format.js';

const TRIGGERS = ['push', 'pull-request', 'manual', 'rollback'];

export function mount(root, _params, { scope }) {
  document.title = 'Overview · Seamless';
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading pipelines…'));
  root.append(
    h('div', { class: 'page-head' },
      h('h1', {}, 'Overview'),
      h('a', { href: '/active' }, 'Active runs')),
    body);

  /** key `pipeline\0service\0trigger` → { td, run } */
  let cells = new Map();
  let pipelines = [];
  const unknown = new Set(); // run ids seen in events but shown nowhere
  let timer = null;
  scope.onCleanup(() => clearTimeout(timer));

  subscribe('/api/v1/events?no_logs=true', { run: onRun }, scope);
  load();

  async function load() {
    try {
      pipelines = await get('/api/v1/pipelines', { signal: scope.signal });
    } catch (e) {
      if (!isAbort(e)) replace(body, h('p', { class: 'error' }, `Cannot load the pipelines: ${e.message}`));
      return;
    }
    build();
    await Promise.all([...cells.values()].map(fill));
  }

  function build() {
    cells = new Map();
    if (pipelines.length === 0) {
      replace(body, h('p', { class: 'empty' }, 'No pipelines yet.'));
      return;
    }
    replace(body, pipelines.map((p) => h('section', { class: 'card', 'data-testid': `pipeline-${p.name}` },
      h('h2', {}, p.name),
      p.services.length === 0
        ? h('p', { class: 'muted' }, 'This pipeline has no services.')
        : h('table', { class: 'grid-table' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Service'),
            TRIGGERS.map((t) => h('th', { scope: 'col' }, triggerLabel(t))))),
          h('tbody', {}, p.services.map((s) => h('tr', {},
            h('th', { scope: 'row' }, h('a', { href: path('pipelines', p.name, 'services', s.name) }, s.name)),
            TRIGGERS.map((t) => {
              const td = h('td', { 'data-testid': `latest-${p.name}-${s.name}-${t}` }, h('span', { class: 'muted' }, '…'));
              cells.set(key(p.name, s.name, t), { td, run: null, pipeline: p.name, service: s.name, trigger: t });
              return td;
            }))))))));
  }

  async function fill(cell) {
    try {
      const page = await get('/api/v1/runs' + qs({ pipeline: cell.pipeline, service: cell.service, trigger: cell.trigger, limit: 1 }),
        { signal: scope.signal, quiet: true });
      const run = page.runs[0];
      if (run) setRun(cell, run);
      else if (!cell.run) paint(cell);
    } catch (e) {
      if (!isAbort(e)) replace(cell.td, h('span', { class: 'error', title: e.message }, 'error'));
    }
  }

  /** Shows `run` in `cell` unless the cell already shows a newer run. */
  function setRun(cell, run) {
    const shown = cell.run;
    if (shown && shown.id !== run.id && shown.created_at > run.created_at) return;
    if (shown && shown.id === run.id && isTerminalRun(shown.status) && !isTerminalRun(run.status)) return;
    cell.run = run;
    paint(cell);
  }

  function paint(cell) {
    const run = cell.run;
    if (!run) {
      replace(cell.td, h('span', { class: 'muted' }, '—'));
      return;
    }
    replace(cell.td, h('div', { class: 'cell-run' },
      badge(run.status),
      h('a', { href: path('runs', run.id), title: `Run ${run.id}` }, commitEl(run.commit)),
      ageEl(run.created_at)));
  }

  function onRun(ev) {
    let shown = false;
    for (const cell of cells.values()) {
      if (cell.run && cell.run.id === ev.run_id) {
        shown = true;
        cell.run = { ...cell.run, status: ev.status };
        paint(cell);
      }
    }
    if (!shown) {
      unknown.add(ev.run_id);
      if (!timer) timer = setTimeout(lookUp, 300);
    }
  }

  /** Fetches the runs seen in events but not shown, and puts them where they belong. */
  async function lookUp() {
    timer = null;
    const ids = [...unknown];
    unknown.clear();
    let reload = false;
    await Promise.all(ids.map(async (id) => {
      let detail;
      try {
        detail = await get(path('api', 'v1', 'runs', id), { signal: scope.signal, quiet: true });
      } catch {
        return;
      }
      const run = detail.run;
      if (!pipelines.some((p) => p.name === run.pipeline)) {
        reload = true;
        return;
      }
      const services = new Set(detail.stages.map((s) => s.service).filter(Boolean));
      for (const service of services) {
        const cell = cells.get(key(run.pipeline, service, run.trigger));
        if (cell) setRun(cell, run);
      }
    }));
    if (reload && !scope.signal.aborted) load();
  }
}

function key(pipeline, service, trigger) {
  return `${pipeline}\u0000${service}\u0000${trigger}`;
}
