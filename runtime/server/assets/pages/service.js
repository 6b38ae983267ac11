// pages/service.js — `/pipelines/{p}/services/{s}`: the service's deploy revisions per
// environment (with rollback to an earlier healthy one, for operators) and its run
// history. `run` events from the live feed refresh both, so a rollback's new revision
// shows up once its run ends.

import { get, post, qs, isAbort } from '../api.js';
import { h, replace, path } from '../dom.js';
import { subscribe } from '../live.js';
import { ageEl, badge, commitEl, dateTime, duration, isTerminalRun, triggerLabel } from '../format.js';

const PAGE = 20;

export function mount(root, { pipeline, service }, { session, scope }) {
  document.title = `${service} · ${pipeline} · Seamless`;
  const operator = session.role === 'operator';
  const api = path('api', 'v1', 'pipelines', pipeline, 'services', service);

  let detail = null;
  let detailJson = '';
  let confirming = null;             // revision id whose rollback awaits confirmation
  const rollbacks = new Set();       // run ids of rollbacks started here
  const runs = new Map();            // run id → RunView (history)
  let next = null;
  let historyLoaded = false;
  let timer = null;
  scope.onCleanup(() => clearTimeout(timer));

  const info = h('p', { class: 'muted' });
  const notice = h('div', { class: 'notice', hidden: true, 'data-testid': 'notice' });
  const revisionsEl = h('div', {}, h('p', { class: 'muted' }, 'Loading deploys…'));
  const historyBody = h('tbody', {});
  const more = h('button', { type: 'button', class: 'button', hidden: true, 'data-testid': 'more', onclick: loadMore }, 'More runs');
  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '/' }, 'Overview'), ' / ', pipeline),
    h('h1', {}, service),
    info, notice,
    h('section', { 'aria-label': 'Deploys' }, h('h2', {}, 'Deploys'), revisionsEl),
    h('section', { class: 'card', 'aria-label': 'Run history' },
      h('h2', {}, 'Runs'),
      h('table', { class: 'list', 'data-testid': 'history' },
        h('thead', {}, h('tr', {}, ['Run', 'Trigger', 'Status', 'Branch', 'Commit', 'Started', 'Duration'].map((c) => h('th', { scope: 'col' }, c)))),
        historyBody),
      more));

  subscribe('/api/v1/events?no_logs=true', { run: onRun }, scope);
  loadService();
  loadHistory();

  async function loadService() {
    let data;
    try {
      data = await get(api, { signal: scope.signal, quiet: true });
    } catch (e) {
      if (isAbort(e)) return;
      if (!detail) {
        replace(revisionsEl, h('p', { class: 'error' },
          e.status === 404 ? 'There is no such service in this pipeline.' : `Cannot load the service: ${e.message}`));
      }
      return;
    }
    const json = JSON.stringify(data);
    if (json === detailJson) return;
    detailJson = json;
    detail = data;
    renderService();
  }

  function renderService() {
    const s = detail.service;
    replace(info, [
      s.path ? `Directory ${s.path}` : null,
      s.port != null ? `port ${s.port}` : null,
      s.environments.length ? `deploys to ${s.environments.join(', ')}` : 'no deploy environments',
      s.auto_deploy ? 'production deploys without approval' : null,
    ].filter(Boolean).join(' · '));
    const envs = [...s.environments];
    for (const r of detail.revisions) if (!envs.includes(r.environment)) envs.push(r.environment);
    if (envs.length === 0 || detail.revisions.length === 0) {
      replace(revisionsEl, h('p', { class: 'empty' }, 'No deploys yet.'));
      return;
    }
    replace(revisionsEl, envs.map((env) => {
      const list = detail.revisions.filter((r) => r.environment === env);
      const serving = list.find((r) => r.current);
      return h('section', { class: 'card', 'data-testid': `environment-${env}` },
        h('h3', {}, env, serving && serving.endpoint ? h('span', { class: 'muted endpoint' }, ` — ${serving.endpoint}`) : null),
        list.length === 0 ? h('p', { class: 'muted' }, 'No deploys to this environment yet.')
          : h('table', { class: 'list' },
            h('thead', {}, h('tr', {}, ['Revision', 'Image', 'Commit', 'Run', 'Started', 'Result', '', ''].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, list.map(revisionRow))));
    }));
  }

  function revisionRow(r) {
    return h('tr', { 'data-testid': `revision-${r.id}`, class: r.current ? 'current' : null },
      h('td', {}, h('code', { title: r.id }, r.id.length > 12 ? '…' + r.id.slice(-12) : r.id)),
      h('td', { class: 'clip' }, h('span', { title: r.digest ? `${r.image}\n${r.digest}` : r.image }, r.image)),
      h('td', {}, commitEl(r.commit)),
      h('td', {}, r.run_id ? h('a', { href: path('runs', r.run_id) }, h('code', {}, r.run_id.slice(0, 12))) : '—'),
      h('td', { title: dateTime(r.started_at) }, ageEl(r.started_at)),
      h('td', {}, badge(r.result), r.reason ? h('div', { class: 'small error' }, r.reason) : null),
      h('td', {}, r.current ? h('span', { class: 'current-mark', 'data-testid': `current-${r.id}` }, '● serving') : null),
      h('td', { class: 'row-actions' }, rollbackControl(r)));
  }

  function rollbackControl(r) {
    if (r.result !== 'success' || r.current) return null;
    if (confirming === r.id) {
      const yes = h('button', { type: 'button', class: 'button danger small', 'data-testid': `rollback-confirm-${r.id}` }, 'Roll back');
      yes.addEventListener('click', () => rollback(r, yes));
      return h('span', { class: 'inline-form' },
        h('span', {}, `Deploy this revision to ${r.environment}?`), yes,
        h('button', { type: 'button', class: 'button small', onclick: () => { confirming = null; renderService(); } }, 'Cancel'));
    }
    const button = h('button', {
      type: 'button', class: 'button small', 'data-testid': `rollback-${r.id}`,
      onclick: () => { confirming = r.id; renderService(); focusConfirm(r.id); },
    }, 'Rollback');
    if (operator) return button;
    const why = 'Only operators can roll back; you are signed in as a viewer.';
    button.disabled = true;
    button.title = why;
    return h('span', { class: 'guard', title: why }, button);
  }

  function focusConfirm(id) {
    const el = revisionsEl.querySelector(`[data-testid="rollback-confirm-${CSS.escape(id)}"]`);
    if (el) el.focus();
  }

  async function rollback(r, button) {
    button.disabled = true;
    let started;
    try {
      started = await post(`${api}/rollback`, { environment: r.environment, to: r.id }, { signal: scope.signal });
    } catch {
      if (!scope.signal.aborted) button.disabled = false;
      return;
    }
    confirming = null;
    renderService();
    if (started && started.run_id) {
      rollbacks.add(started.run_id);
      notice.hidden = false;
      replace(notice, `Rolling ${r.environment} back to …${r.id.slice(-12)}: `,
        h('a', { href: path('runs', started.run_id), 'data-testid': 'new-run' }, `run ${started.run_id}`), '.');
    }
    loadService();
  }

  // ---- run history ---------------------------------------------------------------

  async function loadHistory() {
    try {
      const page = await get('/api/v1/runs' + qs({ pipeline, service, limit: PAGE }), { signal: scope.signal, quiet: historyLoaded });
      for (const run of page.runs) runs.set(run.id, run);
      if (!historyLoaded) next = page.next;
      historyLoaded = true;
      renderHistory();
    } catch (e) {
      if (!isAbort(e) && !historyLoaded) replace(historyBody, h('tr', {}, h('td', { colspan: 7, class: 'error' }, `Cannot load the runs: ${e.message}`)));
    }
  }

  async function loadMore() {
    if (!next) return;
    more.disabled = true;
    try {
      const page = await get('/api/v1/runs' + qs({ pipeline, service, limit: PAGE, before: next }), { signal: scope.signal });
      for (const run of page.runs) runs.set(run.id, run);
      next = page.next;
      renderHistory();
    } catch {
      // shown as a toast
    } finally {
      more.disabled = false;
    }
  }

  function renderHistory() {
    const list = [...runs.values()].sort((a, b) => b.created_at - a.created_at);
    more.hidden = !next;
    if (list.length === 0) {
      replace(historyBody, h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No runs yet.')));
      return;
    }
    replace(historyBody, list.map((run) => h('tr', { 'data-testid': `history-${run.id}` },
      h('td', {}, h('a', { href: path('runs', run.id) }, h('code', {}, run.id))),
      h('td', {}, triggerLabel(run.trigger)),
      h('td', {}, badge(run.status)),
      h('td', {}, run.branch || '—'),
      h('td', {}, commitEl(run.commit)),
      h('td', {}, ageEl(run.created_at)),
      h('td', {}, isTerminalRun(run.status) ? duration(run.duration_ms) : 'running'))));
  }

  // ---- live ----------------------------------------------------------------------

  function onRun(ev) {
    const run = runs.get(ev.run_id);
    if (run) {
      run.status = ev.status;
      if (isTerminalRun(ev.status) && run.finished_at == null) {
        run.finished_at = ev.at;
        run.duration_ms = Math.max(0, ev.at - run.created_at);
      }
      renderHistory();
    }
    if (rollbacks.has(ev.run_id) && isTerminalRun(ev.status)) {
      rollbacks.delete(ev.run_id);
      loadService();
    }
    // Any run may deploy this service or be one of its runs: look again, in a moment.
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      loadService();
      loadHistory();
    }, 300);
  }
}
