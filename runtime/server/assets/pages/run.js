// pages/run.js — `/runs/{id}`: the run's header and actions (approve, reject, cancel,
// rerun), its stage graph (columns by dependency depth, rows by service) and its live
// logs. The detail is fetched once for the initial state; `/api/v1/events?run=ID`
// then replays the run's whole history (statuses and log lines) and follows it live.

import { get, post, isAbort } from '../api.js';
import { h, replace, path } from '../dom.js';
import { subscribe } from '../live.js';
import {
  badge, setBadge, clock, commitEl, dateTime, duration, isTerminalRun, statusLabel, testsText, triggerLabel,
} from '../format.js';
import { createLogView } from '../logview.js';

export function mount(root, { id }, { session, navigate, scope }) {
  document.title = `Run ${id} · Seamless`;
  const operator = session.role === 'operator';

  const state = {
    run: null,          // RunView
    liveRun: null,      // { status, at } from the stream, which wins over the detail
    approval: null,
    prunedAt: null,
    stages: new Map(),  // key → stage (StageView fields + `live` once the stream told its status)
    depth: null,        // stage name → column depth, from the pipeline's `needs`
    skew: 0,            // browser clock minus server clock, estimated from the detail
    fetchedAt: 0,       // server time of the last detail
    loaded: false,
  };
  const boxes = new Map(); // key → box button
  let layoutKeys = '';
  let actionsKey = '';
  let refreshTimer = null;
  let refreshing = false;
  let refreshAgain = false;

  // Page skeleton.
  const statusBadge = badge('loading', { 'data-testid': 'run-status' });
  const durationEl = h('span', { 'data-testid': 'run-duration' }, '—');
  const meta = h('dl', { class: 'meta' });
  const actions = h('div', { class: 'actions' });
  const approvalEl = h('div', { class: 'approval', hidden: true, 'data-testid': 'approval' });
  const graph = h('div', { class: 'graph', 'data-testid': 'graph' }, h('p', { class: 'muted' }, 'Loading…'));
  const logs = createLogView({ onFilterChange: markSelected });
  const content = h('div', {},
    h('div', { class: 'run-head' },
      h('div', { class: 'run-title' }, h('h1', {}, 'Run ', h('code', {}, id)), statusBadge, durationEl),
      actions),
    meta, approvalEl,
    h('section', { class: 'card', 'aria-label': 'Stages' }, graph),
    logs.element);
  root.append(content);

  const closeStream = subscribe(`/api/v1/events?run=${encodeURIComponent(id)}`, { run: onRunEvent, stage: onStageEvent, log: logs.add }, scope);
  const ticker = setInterval(tick, 1000);
  scope.onCleanup(() => { clearInterval(ticker); clearTimeout(refreshTimer); logs.destroy(); });

  load();

  async function load() {
    const pipelinesCall = get('/api/v1/pipelines', { signal: scope.signal, quiet: true }).catch(() => null);
    try {
      await loadDetail();
    } catch (e) {
      if (isAbort(e)) return;
      closeStream();
      replace(content, h('h1', {}, 'Run ', h('code', {}, id)),
        h('p', { class: 'error', 'data-testid': 'run-error' }, e.status === 404 ? 'There is no such run.' : `Cannot load the run: ${e.message}`),
        h('p', {}, h('a', { href: '/' }, 'Back to the overview')));
      return;
    }
    const pipelines = await pipelinesCall;
    if (scope.signal.aborted) return;
    const pipeline = Array.isArray(pipelines) ? pipelines.find((p) => p.name === state.run.pipeline) : null;
    state.depth = depths(pipeline ? pipeline.stages : []);
    state.loaded = true;
    render();
  }

  /** Fetches the detail and merges it: statuses the stream already told are kept. */
  async function loadDetail() {
    const detail = await get(path('api', 'v1', 'runs', id), { signal: scope.signal, quiet: true });
    const run = detail.run;
    if (run.finished_at == null) state.skew = Date.now() - (run.created_at + run.duration_ms);
    state.fetchedAt = Date.now() - state.skew;
    state.run = run;
    state.approval = detail.approval;
    state.prunedAt = detail.logs_pruned_at;
    // Plan order first, then instances only the stream knows of.
    const stages = new Map();
    for (const s of detail.stages) {
      const k = stageKey(s.service, s.stage);
      const known = state.stages.get(k);
      if (known && known.live) {
        stages.set(k, Object.assign(known, { attempts: s.attempts, tests: s.tests, summary: s.summary, error: s.error }));
      } else {
        stages.set(k, { ...s, live: false });
      }
    }
    for (const [k, s] of state.stages) if (!stages.has(k)) stages.set(k, s);
    state.stages = stages;
    logs.setPruned(state.prunedAt);
  }

  /**
   * Re-reads the detail (tests, attempts, errors, approval) soon after a live change;
   * changes that arrive while it is read cause one more read.
   */
  function scheduleRefresh(at) {
    if (!state.loaded || at < state.fetchedAt - 1000) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    if (refreshTimer) return;
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      refreshing = true;
      try {
        await loadDetail();
        render();
      } catch {
        // the next change tries again
      } finally {
        refreshing = false;
      }
      if (refreshAgain && !scope.signal.aborted) {
        refreshAgain = false;
        scheduleRefresh(Infinity);
      }
    }, 700);
  }

  function onRunEvent(ev) {
    if (ev.run_id !== id) return;
    state.liveRun = { status: ev.status, at: ev.at };
    scheduleRefresh(ev.at);
    if (state.loaded) render();
  }

  function onStageEvent(ev) {
    if (ev.run_id !== id) return;
    const service = ev.service || '';
    const k = stageKey(service, ev.stage);
    const known = state.stages.get(k) || { service, stage: ev.stage, attempts: 0, tests: null, summary: null, error: null };
    Object.assign(known, {
      status: ev.status,
      started_at: ev.started_at ?? known.started_at ?? null,
      finished_at: ev.finished_at ?? null,
      duration_ms: ev.duration_ms ?? null,
      live: true,
    });
    state.stages.set(k, known);
    scheduleRefresh(ev.at);
    if (state.loaded) render();
  }

  // ---- rendering -------------------------------------------------------------

  function runStatus() {
    return state.liveRun ? state.liveRun.status : state.run.status;
  }

  function serverNow() {
    return Date.now() - state.skew;
  }

  function runDuration() {
    const run = state.run;
    if (state.liveRun && isTerminalRun(state.liveRun.status) && run.finished_at == null) return state.liveRun.at - run.created_at;
    if (run.finished_at != null) return run.finished_at - run.created_at;
    if (isTerminalRun(runStatus())) return run.duration_ms;
    return serverNow() - run.created_at;
  }

  function stageDuration(s) {
    if (s.started_at == null) return s.duration_ms ?? null;
    if (s.finished_at != null) return s.finished_at - s.started_at;
    if (s.status === 'in-progress' || s.status === 'awaiting-approval') return serverNow() - s.started_at;
    return s.duration_ms ?? null;
  }

  function render() {
    const run = state.run;
    const status = runStatus();
    setBadge(statusBadge, status);
    durationEl.textContent = duration(runDuration());
    document.title = `${statusLabel(status)} · ${run.pipeline} · Run ${id} · Seamless`;
    replace(meta,
      item('Pipeline', run.pipeline),
      item('Trigger', triggerLabel(run.trigger)),
      item('Branch', run.branch || '—'),
      item('Commit', commitEl(run.commit)),
      item('Started', dateTime(run.created_at)),
      item('Host', run.host || '—'));
    renderApproval();
    renderActions();
    renderGraph();
  }

  function item(label, value) {
    return h('div', {}, h('dt', {}, label), h('dd', {}, value));
  }

  function renderApproval() {
    const a = state.approval;
    approvalEl.hidden = !a;
    if (!a) return;
    approvalEl.className = `approval ${a.approved ? 'approved' : 'rejected'}`;
    replace(approvalEl,
      h('strong', {}, a.approved ? 'Approved' : 'Rejected'), ` by ${a.decided_by} at ${dateTime(a.at)}`,
      a.reason ? h('span', {}, ' — ', h('q', {}, a.reason)) : null);
  }

  function awaiting() {
    const status = runStatus();
    if (state.approval || isTerminalRun(status)) return false;
    if (status === 'awaiting-approval') return true;
    for (const s of state.stages.values()) if (s.status === 'awaiting-approval') return true;
    return false;
  }

  /** Rebuilt only when what they depend on changes, so an open form survives updates. */
  function renderActions() {
    const status = runStatus();
    const wait = awaiting();
    const k = `${status}|${wait}`;
    if (k === actionsKey) return;
    actionsKey = k;
    const list = [];
    if (wait) {
      list.push(guarded(h('button', { type: 'button', class: 'button primary', 'data-testid': 'approve', onclick: approve }, 'Approve'), 'approve runs'));
      list.push(guarded(h('button', { type: 'button', class: 'button danger', 'data-testid': 'reject', onclick: openReject }, 'Reject'), 'reject runs'));
    }
    if (!isTerminalRun(status)) {
      list.push(guarded(h('button', { type: 'button', class: 'button', 'data-testid': 'cancel', onclick: openCancel }, 'Cancel run'), 'cancel runs'));
    } else if (status === 'failure' || status === 'cancelled') {
      list.push(guarded(h('button', { type: 'button', class: 'button', 'data-testid': 'rerun', onclick: rerun }, 'Rerun'), 'rerun runs'));
    }
    replace(actions, list);
  }

  /** Disables `button` for viewers, with a tooltip saying why. */
  function guarded(button, what) {
    if (operator) return button;
    button.disabled = true;
    const why = `Only operators can ${what}; you are signed in as a viewer.`;
    button.title = why;
    return h('span', { class: 'guard', title: why }, button);
  }

  /**
   * Runs an action with the buttons disabled, then `after(result)` on success, then
   * redraws the buttons. Errors are shown as toasts by api.js.
   */
  async function act(call, after) {
    actions.querySelectorAll('button, input').forEach((el) => { el.disabled = true; });
    let result = null;
    try {
      result = await call();
      if (after) await after(result);
    } catch (e) {
      if (!isAbort(e)) console.warn(e);
    }
    if (scope.signal.aborted) return;
    actionsKey = '';
    render();
  }

  /** After a decision: its answer is the run; the detail then brings the approval. */
  async function decided(view) {
    if (view) {
      state.run = { ...state.run, ...view };
      if (state.liveRun) state.liveRun = { ...state.liveRun, status: view.status };
    }
    try {
      await loadDetail();
    } catch {
      // the stream still updates the statuses
    }
  }

  function approve() {
    act(() => post(path('api', 'v1', 'runs', id, 'approve'), {}, { signal: scope.signal }), decided);
  }

  function openReject() {
    const input = h('input', { type: 'text', maxlength: 2000, placeholder: 'Why? (optional)', 'aria-label': 'Reason for rejecting', 'data-testid': 'reject-reason' });
    const form = h('form', { class: 'inline-form', 'data-testid': 'reject-form' },
      input,
      h('button', { type: 'submit', class: 'button danger', 'data-testid': 'reject-confirm' }, 'Reject run'),
      h('button', { type: 'button', class: 'button', onclick: closeForm }, 'Keep waiting'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const reason = input.value.trim();
      act(() => post(path('api', 'v1', 'runs', id, 'reject'), reason ? { reason } : {}, { signal: scope.signal }), decided);
    });
    replace(actions, form);
    input.focus();
  }

  function openCancel() {
    const yes = h('button', {
      type: 'button', class: 'button danger', 'data-testid': 'cancel-confirm',
      onclick: () => act(() => post(path('api', 'v1', 'runs', id, 'cancel'), undefined, { signal: scope.signal })),
    }, 'Yes, cancel it');
    replace(actions, h('div', { class: 'inline-form' },
      h('span', {}, 'Cancel this run?'), yes,
      h('button', { type: 'button', class: 'button', onclick: closeForm }, 'No')));
    yes.focus();
  }

  function closeForm() {
    actionsKey = '';
    renderActions();
  }

  function rerun() {
    act(() => post(path('api', 'v1', 'runs', id, 'rerun'), {}, { signal: scope.signal }), (started) => {
      if (started && started.run_id) navigate(path('runs', started.run_id));
    });
  }

  // ---- stage graph -------------------------------------------------------------

  function depthOf(stage) {
    return state.depth && state.depth.has(stage) ? state.depth.get(stage) : null;
  }

  /** Lays the graph out again when the set of stage instances changed; else updates boxes. */
  function renderGraph() {
    const keys = [...state.stages.keys()];
    const signature = keys.join('\n');
    if (signature !== layoutKeys) {
      layoutKeys = signature;
      layout();
    }
    for (const [k, s] of state.stages) paintBox(boxes.get(k), s);
  }

  function layout() {
    boxes.clear();
    const stages = [...state.stages.values()];
    if (stages.length === 0) {
      replace(graph, h('p', { class: 'muted' }, 'This run has no stages yet.'));
      return;
    }
    // Stages the pipeline does not know (it changed since) follow plan order.
    const names = [...new Set(stages.map((s) => s.stage))];
    const depthByName = new Map();
    let fallback = 0;
    for (const name of names) {
      const d = depthOf(name);
      if (d != null) {
        depthByName.set(name, d);
        fallback = d;
      } else {
        depthByName.set(name, state.depth && state.depth.size ? fallback : names.indexOf(name));
      }
    }
    const columns = [...new Set(depthByName.values())].sort((a, b) => a - b);
    const services = [...new Set(stages.map((s) => s.service))];
    graph.style.gridTemplateColumns = `max-content repeat(${columns.length}, minmax(10rem, 1fr))`;
    const cells = [];
    for (const service of services) {
      cells.push(h('div', { class: 'graph-row-label' },
        service ? h('a', { href: path('pipelines', state.run.pipeline, 'services', service) }, service) : h('span', { class: 'muted' }, 'run')));
      for (const column of columns) {
        const cell = h('div', { class: 'graph-cell' });
        for (const s of stages) {
          if (s.service !== service || depthByName.get(s.stage) !== column) continue;
          const k = stageKey(s.service, s.stage);
          const box = h('button', {
            type: 'button', class: 'stage',
            'data-testid': `stage-${s.service || 'run'}-${s.stage}`,
            'aria-pressed': String(logs.filter === k),
            onclick: () => logs.setFilter(logs.filter === k ? null : k, `${s.service || 'run'} / ${s.stage}`),
          });
          boxes.set(k, box);
          cell.append(box);
        }
        cells.push(cell);
      }
    }
    replace(graph, cells);
  }

  function paintBox(box, s) {
    if (!box) return;
    box.className = `stage st-${s.status}`;
    box.dataset.status = s.status;
    const d = stageDuration(s);
    const tests = testsText(s.tests);
    const note = s.status === 'failure' ? s.error : s.summary;
    replace(box,
      h('span', { class: 'stage-name' }, s.stage),
      h('span', { class: 'stage-status' }, statusLabel(s.status)),
      h('span', { class: 'stage-facts' },
        h('span', { class: 'stage-duration' }, d == null ? '' : duration(d)),
        s.attempts > 1 ? h('span', { class: 'stage-attempts' }, `attempt ${s.attempts}`) : null),
      tests ? h('span', { class: `stage-tests${s.tests.failed ? ' failed' : ''}` }, tests) : null,
      note ? h('span', { class: 'stage-note' }, note) : null);
    box.title = [`${s.service || 'run'} / ${s.stage}: ${statusLabel(s.status)}`,
      s.started_at ? `started ${clock(s.started_at)}` : '', tests, note || '', 'Click to show only its logs']
      .filter(Boolean).join('\n');
  }

  function markSelected(filter) {
    for (const [k, box] of boxes) box.setAttribute('aria-pressed', String(filter === k));
  }

  function tick() {
    if (!state.loaded) return;
    if (!isTerminalRun(runStatus())) durationEl.textContent = duration(runDuration());
    for (const [k, s] of state.stages) {
      if (s.finished_at == null && s.started_at != null && (s.status === 'in-progress' || s.status === 'awaiting-approval')) {
        const box = boxes.get(k);
        const el = box && box.querySelector('.stage-duration');
        if (el) el.textContent = duration(stageDuration(s));
      }
    }
  }
}

/** The key of a stage instance. */
export function stageKey(service, stage) {
  return `${service}\u0000${stage}`;
}

/** Each stage's dependency depth: 0 without `needs`, else 1 + the deepest need. */
function depths(defs) {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const memo = new Map();
  const visiting = new Set();
  const visit = (name) => {
    if (memo.has(name)) return memo.get(name);
    const def = byName.get(name);
    if (!def || visiting.has(name)) return 0;
    visiting.add(name);
    const needs = def.needs || [];
    const d = needs.length ? 1 + Math.max(...needs.map(visit)) : 0;
    visiting.delete(name);
    memo.set(name, d);
    return d;
  };
  for (const d of defs) visit(d.name);
  return memo;
}
