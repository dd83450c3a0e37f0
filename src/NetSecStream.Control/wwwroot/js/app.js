import { ApiError, currentSession, login, logout, refreshSession, setUnauthorizedHandler } from './api.js';
import { clear, h } from './dom.js';
import { renderAlerts } from './alerts.js';
import { renderDetail } from './detail.js';
import { renderRules } from './rules.js';
import { renderModels } from './models.js';
import { renderPolicies } from './policies.js';
import { renderNamespaces } from './namespaces.js';
import { renderBlocks } from './blocks.js';

const view = document.getElementById('view');
let cleanup = null;
let previous = '';
let toastTimer = 0;

export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = `toast show toast-${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; }, kind === 'error' ? 8000 : 4000);
}

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/alerts';
  const [path, search = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(search) };
}

export function navigate(path, params) {
  const search = params ? new URLSearchParams(params).toString() : '';
  const target = `#${path}${search ? `?${search}` : ''}`;
  if (location.hash !== target) location.hash = target;
  else route();
}

// Replaces the query of the current route without a new history entry or a re-render (filters typed into the list).
export function replaceParams(params) {
  const { parts } = parseRoute();
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== undefined && v !== null)).toString();
  history.replaceState(null, '', `#/${parts.map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`);
}

function showChrome(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !signedIn;
  const s = currentSession();
  if (signedIn && s) {
    document.getElementById('who-name').textContent = s.name;
    document.getElementById('who-role').textContent = s.role;
  }
}

function markNav(name) {
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function renderLogin(params) {
  showChrome(false);
  markNav('');
  const error = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'token-help login-error', spellcheck: 'false' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in to NetSecStream'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('p', { class: 'help', id: 'token-help' }, 'Create one with ', h('code', {}, 'netsec control token create --role analyst'), '. The token opens a browser session; it is not stored by the page.'),
    button,
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = '';
    try {
      await login(input.value.trim());
      input.value = '';
      navigate(params.get('next') || '/alerts');
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? 'That token is unknown or revoked.' : e.message;
      button.disabled = false;
      input.focus();
    }
  });
  clear(view).append(form);
  input.focus();
}

async function route() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const { parts, params } = parseRoute();
  const from = previous;
  previous = parts[0] === 'alerts' && !parts[1] ? 'list' : parts[0] ?? '';
  if (parts[0] === 'login') {
    if (currentSession()) navigate(params.get('next') || '/alerts');
    else renderLogin(params);
    return;
  }
  if (!currentSession()) {
    const s = await refreshSession().catch(() => null);
    if (!s) {
      navigate('/login', { next: location.hash.replace(/^#/, '') || '/alerts' });
      return;
    }
  }
  showChrome(true);
  const name = parts[0] ?? 'alerts';
  markNav(name);
  const context = { view, params, toast, navigate, replaceParams, fromList: from === 'list' };
  try {
    if (name === 'alerts' && parts[1]) cleanup = await renderDetail(parts[1], context);
    else if (name === 'alerts') cleanup = await renderAlerts(context);
    else if (name === 'rules') cleanup = await renderRules(context);
    else if (name === 'models') cleanup = await renderModels(context);
    else if (name === 'policies') cleanup = await renderPolicies(context);
    else if (name === 'namespaces') cleanup = await renderNamespaces(context);
    else if (name === 'blocks') cleanup = await renderBlocks(context);
    else clear(view).append(h('p', { class: 'error' }, `No page '${name}'. `, h('a', { href: '#/alerts' }, 'Go to alerts')));
  } catch (e) {
    clear(view).append(h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

setUnauthorizedHandler(() => {
  if (!location.hash.startsWith('#/login')) navigate('/login', { next: location.hash.replace(/^#/, '') });
});

document.getElementById('logout').addEventListener('click', async () => {
  await logout().catch(() => {});
  navigate('/login');
});

window.addEventListener('hashchange', route);
route();
