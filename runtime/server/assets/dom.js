// dom.js — small DOM helpers: an element builder that only ever sets text (never
// HTML), and toast messages for errors and notices.

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<event>` (listener), anything
 * else as an attribute (`true` → empty attribute; `null`/`false`/`undefined` → left
 * out). Children are nodes or strings (inserted as text); arrays are flattened.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends nodes or strings (as text) to `el`, skipping null/false. */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Removes every child of `el`. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/** Shows a message in the corner for a few seconds; `kind` is `error` or `info`. */
export function toast(message, kind = 'error') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'toast' },
    h('span', {}, message),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'));
  box.append(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === 'error' ? 10000 : 5000);
}

/** A URL path from segments, each percent-encoded. */
export function path(...segments) {
  return '/' + segments.map((s) => encodeURIComponent(s)).join('/');
}
