// api.js — fetch wrapper for the Seamless server: same-origin cookies, the session's
// CSRF token on changes, and `{"error": {"code", "message"}}` answers turned into
// ApiError (shown to the user as a toast unless `quiet`).

import { toast } from './dom.js';

let csrf = null;
let onUnauthorized = () => {};

/** Sets the CSRF token sent with POST/PUT/DELETE (from `GET /auth/session`). */
export function setCsrf(token) {
  csrf = token || null;
}

/** Sets what happens when the session ends (a 401 from any call but the session check). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** A failed call: HTTP status (0 when the server could not be reached), code, message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** Whether `e` comes from an aborted call (the page was left): never shown. */
export function isAbort(e) {
  return e != null && e.name === 'AbortError';
}

/** A query string (with its `?`) of the non-empty values of `params`. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v != null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Calls the server. Options: `body` (sent as JSON), `signal` (AbortSignal), `quiet`
 * (no toast on error). Resolves to the parsed JSON (or null for an empty answer).
 */
export async function request(method, url, { body, signal, quiet = false } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, signal, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrf) headers['X-CSRF-Token'] = csrf;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if (isAbort(e)) throw e;
    throw fail(new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.'), quiet);
  }
  const json = (res.headers.get('Content-Type') || '').includes('json');
  if (res.ok) {
    if (res.status === 204 || !json) return null;
    return res.json();
  }
  let code = `http-${res.status}`;
  let message = `The server answered ${res.status} ${res.statusText}`.trim();
  if (json) {
    try {
      const data = await res.json();
      if (data && data.error) {
        code = data.error.code || code;
        message = data.error.message || message;
      }
    } catch (e) {
      if (isAbort(e)) throw e;
    }
  }
  const err = new ApiError(res.status, code, message);
  if (res.status === 401 && url !== '/auth/session') {
    onUnauthorized();
    throw err;
  }
  throw fail(err, quiet);
}

function fail(err, quiet) {
  if (!quiet) toast(err.message);
  return err;
}

/**
 * Whether the session still holds; when it ended, the sign-in screen is shown (as for
 * any 401). Network trouble counts as holding: the caller simply retries.
 */
export async function sessionHolds() {
  try {
    const res = await fetch('/auth/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (res.status !== 401) return true;
  } catch {
    return true;
  }
  onUnauthorized();
  return false;
}

/** GET `url`. */
export function get(url, opts) {
  return request('GET', url, opts);
}

/** POST `body` (JSON; omitted when undefined) to `url`. */
export function post(url, body, opts = {}) {
  return request('POST', url, { ...opts, body });
}
