// format.js — how values look: durations, times, relative ages, short commits, status
// badges and test counts.

import { h } from './dom.js';

const TERMINAL_RUN = new Set(['success', 'failure', 'cancelled']);
const TERMINAL_STAGE = new Set(['success', 'failure', 'skipped', 'cancelled', 'not-applicable']);

/** Whether a run status is final. */
export function isTerminalRun(status) {
  return TERMINAL_RUN.has(status);
}

/** Whether a stage status is final. */
export function isTerminalStage(status) {
  return TERMINAL_STAGE.has(status);
}

const pad = (n) => String(n).padStart(2, '0');

/** A duration in milliseconds as `850ms`, `42s`, `3m 05s` or `1h 02m`. */
export function duration(ms) {
  if (ms == null || !Number.isFinite(ms)) return '—';
  ms = Math.max(0, ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${pad(m % 60)}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** A time (Unix ms) as a local date and time. */
export function dateTime(ms) {
  if (ms == null) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A time (Unix ms) as `HH:MM:SS`. */
export function clock(ms) {
  if (ms == null) return '';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How long ago a time (Unix ms) was: `just now`, `5m ago`, `3h ago`, `2d ago`. */
export function age(ms, now = Date.now()) {
  if (ms == null) return '—';
  const s = Math.floor((now - ms) / 1000);
  if (s < 10) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** A <time> showing the age of `ms`, kept current by `refreshAges`. */
export function ageEl(ms) {
  if (ms == null) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: new Date(ms).toISOString(), title: dateTime(ms), 'data-age': ms }, age(ms));
}

/** Updates every age shown by `ageEl` in the document. */
export function refreshAges() {
  const now = Date.now();
  for (const el of document.querySelectorAll('time[data-age]')) {
    el.textContent = age(Number(el.dataset.age), now);
  }
}

/** The first 7 characters of a commit. */
export function shortSha(sha) {
  return sha ? String(sha).slice(0, 7) : '—';
}

/** A <code> with the short commit and the full one as its tooltip. */
export function commitEl(sha) {
  return h('code', { class: 'sha', title: sha || null }, shortSha(sha));
}

const LABELS = {
  'in-progress': 'in progress',
  'awaiting-approval': 'awaiting approval',
  'not-applicable': 'n/a',
};

/** The words for a status. */
export function statusLabel(status) {
  return LABELS[status] || status || 'unknown';
}

/** A coloured status badge carrying `data-status`; `attrs` are added to it. */
export function badge(status, attrs = {}) {
  return h('span', { ...attrs, class: `badge st-${status}`, 'data-status': status }, statusLabel(status));
}

/** Updates a badge made by `badge` to another status. */
export function setBadge(el, status) {
  el.className = `badge st-${status}`;
  el.dataset.status = status;
  el.textContent = statusLabel(status);
}

/** Test counts as `12 passed, 1 failed, 2 skipped` (zero failed/skipped left out). */
export function testsText(tests) {
  if (!tests) return '';
  const parts = [`${tests.passed} passed`];
  if (tests.failed) parts.push(`${tests.failed} failed`);
  if (tests.skipped) parts.push(`${tests.skipped} skipped`);
  return parts.join(', ');
}

/** The words for a trigger. */
export function triggerLabel(trigger) {
  return trigger === 'pull-request' ? 'pull request' : trigger;
}
