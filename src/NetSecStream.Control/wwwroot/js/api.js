// The control API as the UI uses it: the session cookie authenticates, the CSRF token goes with every change.

let session = null;
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body;
  }
}

function describe(status, body) {
  if (!body || typeof body !== 'object') return `request failed (HTTP ${status})`;
  const parts = [body.title ?? `HTTP ${status}`];
  if (body.detail) parts.push(body.detail);
  if (body.errors && typeof body.errors === 'object') {
    for (const [key, messages] of Object.entries(body.errors)) parts.push(`${key}: ${[].concat(messages).join('; ')}`);
  }
  return parts.join(': ');
}

export function currentSession() {
  return session;
}

export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function can(role) {
  const rank = { viewer: 1, analyst: 2, admin: 3 };
  return session !== null && (rank[session.role] ?? 0) >= rank[role];
}

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string') {
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      payload = body;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  if (method !== 'GET' && session?.csrf_token) headers[session.csrf_header || 'X-CSRF-TOKEN'] = session.csrf_token;
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { title: `HTTP ${response.status}`, detail: text.slice(0, 500) };
    }
  }
  return { response, data };
}

export async function request(method, path, body) {
  let { response, data } = await send(method, path, body);
  // A CSRF token ages out with the antiforgery key; fetch a fresh one once and try again.
  if (response.status === 400 && data?.title === 'missing or invalid CSRF token' && session) {
    await refreshSession();
    ({ response, data } = await send(method, path, body));
  }
  if (response.status === 401 && !path.startsWith('/api/session')) {
    session = null;
    onUnauthorized();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const put = (path, body) => request('PUT', path, body);

export async function refreshSession() {
  const { response, data } = await send('GET', '/api/session');
  session = response.ok && data?.auth === 'cookie' ? data : null;
  return session;
}

export async function login(token) {
  const { response, data } = await send('POST', '/api/session', { token });
  if (!response.ok) throw new ApiError(response.status, data);
  session = data;
  return session;
}

export async function logout() {
  try {
    await request('DELETE', '/api/session');
  } finally {
    session = null;
  }
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
