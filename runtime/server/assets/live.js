// live.js — server-sent events from `/api/v1/events`: the named `run`, `stage` and
// `log` events parsed as JSON, reconnection that continues after the last event id
// (or the sign-in screen if the session ended), and the header's "live" /
// "reconnecting" indicator.

import { sessionHolds } from './api.js';

const streams = new Set();
let indicator = null;

/** Sets the element that shows the state of the open streams. */
export function setIndicator(el) {
  indicator = el;
  paint();
}

function paint() {
  if (!indicator) return;
  if (streams.size === 0) {
    indicator.hidden = true;
    return;
  }
  const states = [...streams].map((s) => s.state);
  const state = states.includes('reconnecting') ? 'reconnecting'
    : states.every((s) => s === 'live') ? 'live' : 'connecting';
  indicator.hidden = false;
  indicator.dataset.state = state;
  indicator.textContent = state;
  indicator.title = state === 'live' ? 'Receiving live updates' : 'Live updates are interrupted; reconnecting';
}

const EVENTS = ['run', 'stage', 'log'];

/**
 * Opens an EventSource on `url` and calls `handlers.run/stage/log(data, event)` for
 * each named event. The browser reconnects by itself (sending Last-Event-ID); if it
 * gives up (the answer was an error), the stream is reopened after a growing delay
 * with `after=` the last event id, so nothing is missed or repeated. The stream is
 * closed with `scope` (the page) or by calling the returned function.
 */
export function subscribe(url, handlers, scope) {
  const s = { state: 'connecting', closed: false, es: null, lastId: null, delay: 1000, timer: null };

  const open = () => {
    s.timer = null;
    if (s.closed) return;
    let target = url;
    if (s.lastId) target += (url.includes('?') ? '&' : '?') + 'after=' + encodeURIComponent(s.lastId);
    const es = new EventSource(target);
    s.es = es;
    es.onopen = () => {
      s.state = 'live';
      s.delay = 1000;
      paint();
    };
    es.onerror = () => {
      if (s.closed || s.es !== es) return;
      s.state = 'reconnecting';
      paint();
      if (es.readyState === EventSource.CLOSED) {
        // The server answered with an error (the browser only retries network
        // failures): unless the session ended, try again later.
        const delay = s.delay;
        s.delay = Math.min(s.delay * 2, 30000);
        sessionHolds().then((holds) => {
          if (holds && !s.closed) s.timer = setTimeout(open, delay);
        });
      }
    };
    for (const name of EVENTS) {
      es.addEventListener(name, (ev) => {
        if (s.closed) return;
        if (ev.lastEventId) s.lastId = ev.lastEventId;
        const handler = handlers[name];
        if (!handler) return;
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch {
          return;
        }
        try {
          handler(data, ev);
        } catch (e) {
          console.error(`error handling a '${name}' event`, e);
        }
      });
    }
  };

  const close = () => {
    if (s.closed) return;
    s.closed = true;
    if (s.timer) clearTimeout(s.timer);
    if (s.es) s.es.close();
    streams.delete(s);
    paint();
  };

  streams.add(s);
  paint();
  open();
  if (scope) scope.onCleanup(close);
  return close;
}
