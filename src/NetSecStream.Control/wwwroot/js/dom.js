// Elements are built with textContent only: alert fields come from network traffic and must never become markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

function setAttributes(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' && 'value' in el) el.value = value;
    else if (key === 'checked' || key === 'disabled' || key === 'selected') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export const SEVERITY_NAMES = { 1: 'critical', 2: 'high', 3: 'medium', 4: 'low' };
export const STATE_NAMES = { new: 'new', acknowledged: 'acknowledged', resolved: 'resolved', false_positive: 'false positive' };

export function severityBadge(severity) {
  const name = SEVERITY_NAMES[severity] ?? String(severity);
  return h('span', { class: `sev sev-${severity}`, title: `severity ${severity} (${name})` }, name);
}

export function stateBadge(state) {
  return h('span', { class: `state state-${state}` }, STATE_NAMES[state] ?? state);
}

// Times show in UTC, as the alerts' own timestamps and every log line of the product do.
export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function endpoint(ip, port) {
  if (!ip) return '';
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}
