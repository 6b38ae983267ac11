// app.js — the dashboard's entry point: checks the session (or shows the sign-in
// screen), fills the header, routes with the History API (same-origin link clicks
// are intercepted) and mounts/unmounts pages. Leaving a page aborts its calls and
// closes its event streams.

import * as api from './api.js';
import { h, replace } from './dom.js';
import { setIndicator } from './live.js';
import { refreshAges } from './format.js';
import * as overview from './pages/overview.js';
import * as runPage from './pages/run.js';
import * as servicePage from './pages/service.js';
import * as active from './pages/active.js';

const ROUTES = [
  { pattern: /^\/$/, page: overview, keys: [] },
  { pattern: /^\/active\/?$/, page: active, keys: [] },
  { pattern: /^\/runs\/([^/]+)\/?$/, page: runPage, keys: ['id'] },
  { pattern: /^\/pipelines\/([^/]+)\/services\/([^/]+)\/?$/, page: servicePage, keys: ['pipeline', 'service'] },
];

const main = document.getElementById('main');
let session = null;
let current = null; // { controller, cleanups } of the mounted page

/** The page and its parameters for a path, or null. */
function match(pathname) {
  for (const route of ROUTES) {
    const m = route.pattern.exec(pathname);
    if (!m) continue;
    const params = {};
    try {
      route.keys.forEach((key, i) => { params[key] = decodeURIComponent(m[i + 1]); });
    } catch {
      return null;
    }
    return { page: route.page, params };
  }
  return null;
}

function unmount() {
  if (!current) return;
  const { controller, cleanups } = current;
  current = null;
  controller.abort();
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch (e) {
      console.error('error while leaving a page', e);
    }
  }
}

/** Mounts the page of the current location. */
function render() {
  unmount();
  replace(main);
  markNav();
  const found = match(location.pathname);
  if (!found) {
    document.title = 'Not found · Seamless';
    main.append(h('h1', {}, 'Page not found'),
      h('p', {}, 'Nothing lives at this address. ', h('a', { href: '/' }, 'Go to the overview'), '.'));
    return;
  }
  const controller = new AbortController();
  const cleanups = [];
  current = { controller, cleanups };
  const scope = { signal: controller.signal, onCleanup: (fn) => cleanups.push(fn) };
  try {
    found.page.mount(main, found.params, { session, navigate, scope });
  } catch (e) {
    console.error(e);
    main.append(h('p', { class: 'error' }, 'This page failed to load: ', String(e && e.message)));
  }
}

/** Goes to a dashboard path without reloading. */
function navigate(to, { replace: replaceState = false } = {}) {
  if (replaceState) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  render();
  window.scrollTo(0, 0);
}

function markNav() {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === location.pathname) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function onLinkClick(e) {
  if (!session || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof Element ? e.target.closest('a[href]') : null;
  if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !match(url.pathname)) return;
  e.preventDefault();
  const to = url.pathname + url.search + url.hash;
  if (to === location.pathname + location.search + location.hash) return;
  navigate(to);
}

function showHeader(signedIn) {
  document.querySelector('.nav').hidden = !signedIn;
  document.querySelector('.account').hidden = !signedIn;
  document.querySelector('[data-testid="user"]').textContent = signedIn ? session.login : '';
}

/** The sign-in screen (no session, or it ended). */
function showSignIn() {
  unmount();
  session = null;
  api.setCsrf(null);
  showHeader(false);
  document.title = 'Sign in · Seamless';
  const next = location.pathname + location.search;
  replace(main, h('section', { class: 'signin' },
    h('h1', {}, 'Sign in to Seamless'),
    h('p', {}, 'The dashboard shows the runs, deploys and live logs of this server.'),
    h('a', { class: 'button primary', href: `/auth/login?next=${encodeURIComponent(next)}`, 'data-testid': 'login' },
      'Sign in with GitHub')));
}

async function signOut(e) {
  const button = e.currentTarget;
  button.disabled = true;
  try {
    await api.post('/auth/logout');
    showSignIn();
  } catch {
    // shown as a toast
  } finally {
    button.disabled = false;
  }
}

async function start() {
  setIndicator(document.getElementById('live'));
  api.setUnauthorizedHandler(showSignIn);
  document.addEventListener('click', onLinkClick);
  window.addEventListener('popstate', () => { if (session) render(); });
  document.querySelector('[data-testid="logout"]').addEventListener('click', signOut);
  setInterval(refreshAges, 30000);
  try {
    session = await api.get('/auth/session', { quiet: true });
  } catch (e) {
    if (e.status === 401) {
      showSignIn();
      return;
    }
    replace(main, h('section', { class: 'signin' },
      h('h1', {}, 'Cannot load the dashboard'),
      h('p', { class: 'error' }, e.message),
      h('button', { type: 'button', class: 'button', onclick: () => location.reload() }, 'Try again')));
    return;
  }
  api.setCsrf(session.csrf);
  showHeader(true);
  render();
}

start();
