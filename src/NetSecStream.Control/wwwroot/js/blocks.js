import { ApiError, can, get, post, request } from './api.js';
import { clear, formatTime, h } from './dom.js';
import { confirmAction } from './confirm.js';

/** "1 h 02 min", "4 min 09 s", "12 s": what is left until `expires`. */
export function remaining(expires, now = Date.now()) {
  const s = Math.max(0, Math.round((new Date(expires).getTime() - now) / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** `cidr:203.0.113.7/32` → `203.0.113.7`, `pod:shop/app=cart` → `pods of shop with app=cart`. */
export function describePeer(peer) {
  if (peer.startsWith('cidr:')) return peer.slice(5).replace(/\/(32|128)$/u, '');
  if (peer.startsWith('pod:')) {
    const [ns, labels] = peer.slice(4).split(/\/(.*)/su);
    return `pods of ${ns} with ${labels}`;
  }
  return peer;
}

export function describeTarget(plan) {
  const labels = Object.entries(plan.labels).map(([k, v]) => `${k}=${v}`).join(',');
  return `${plan.namespace}/${labels}`;
}

export function blockConfirmation(plan, expires) {
  const source = describePeer(plan.peer);
  const target = describeTarget(plan);
  return {
    title: `Block ${source}?`,
    body: [
      plan.direction === 'ingress'
        ? `Traffic from ${source} to the workload ${target} will be denied.`
        : `Traffic from the workload ${target} to ${source} will be denied.`,
      `The rule expires at ${formatTime(expires)} (UTC), in ${remaining(expires)}; revoke it earlier from the Blocks page.`,
    ],
    confirmLabel: 'Block for 1 h',
    danger: true,
  };
}

/**
 * The alert detail's "Block this source for 1 h" (admins only): asks the server what it would block first, so the
 * button is disabled, with the reason, when enforcement is off or the allowlist refuses; confirms naming source, target
 * and expiry; shows what became of it.
 */
export function blockBox(alert, toast) {
  if (!can('admin')) return null;
  const button = h('button', { type: 'button', id: 'block-source', class: 'danger', disabled: true }, 'Block this source for 1 h');
  const why = h('span', { class: 'why', id: 'block-why', role: 'status' }, 'Checking enforcement…');
  const box = h('div', { class: 'enforce-box', 'aria-label': 'Enforcement' }, h('strong', {}, 'Enforcement'), button, why);
  const body = { alert_id: alert.id, ttl_seconds: 3600, reason: `from alert ${alert.id}: ${alert.rule_name || alert.rule_id}`.slice(0, 500) };
  let plan = null;
  post('/api/blocks/preview', body).then((preview) => {
    if (!preview.allowed) {
      why.textContent = `Cannot block: ${preview.detail}`;
      return;
    }
    plan = preview.plan;
    button.disabled = false;
    why.textContent = `Would deny ${describePeer(plan.peer)} ${plan.direction === 'ingress' ? '→' : '←'} ${describeTarget(plan)}.`;
  }, (e) => {
    why.textContent = e instanceof ApiError && e.status === 409 ? 'Disabled: enforcement is off in this control plane (Enforcement:Enabled).' : `Disabled: ${e.message}`;
  });
  button.addEventListener('click', async () => {
    if (!plan || !(await confirmAction(blockConfirmation(plan, new Date(Date.now() + 3600_000).toISOString())))) return;
    button.disabled = true;
    try {
      const result = await post('/api/blocks', body);
      const expires = result.blocks.length ? result.blocks[0].expires : null;
      clear(why).append(result.outcome === 'already_held' ? 'Already blocked' : 'Blocked', expires ? ` until ${formatTime(expires)}` : '', ' · ',
        h('a', { href: '#/blocks' }, 'see Blocks'));
      toast(`Blocked ${describePeer(plan.peer)}${expires ? ` until ${formatTime(expires)}` : ''}`);
    } catch (e) {
      why.textContent = e.message;
      button.disabled = false;
      toast(e.message, 'error');
    }
  });
  return box;
}

export async function renderBlocks({ view, toast, navigate }) {
  clear(view).append(h('p', { class: 'loading' }, 'Loading blocks…'));
  let blocks;
  try {
    blocks = await get('/api/blocks');
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    clear(view).append(h('section', { class: 'blocks' }, h('h1', {}, 'Blocks'),
      h('p', { class: 'muted', id: 'blocks-off' }, 'Enforcement is off: this control plane was started without Enforcement:Enabled, so no block rules are synced.')));
    return null;
  }
  const admin = can('admin');
  // One row per block: the same id in several targets (clusters, the GitOps directory) is one decision.
  const byId = new Map();
  for (const b of blocks) {
    if (!byId.has(b.id)) byId.set(b.id, { ...b, targets: [] });
    byId.get(b.id).targets.push(b.target);
  }
  const rows = [...byId.values()];
  const countdowns = [];
  const tbody = h('tbody', {}, rows.length ? rows.map((b) => {
    const countdown = h('span', { class: 'countdown', 'data-expires': b.expires }, remaining(b.expires));
    countdowns.push(countdown);
    return h('tr', { 'data-block': b.id },
      h('td', { class: 'mono' }, describePeer(b.peer)),
      h('td', { class: 'mono wrap' }, `${b.namespace ?? 'cluster'} · ${b.kind}/${b.name}`),
      h('td', {}, b.targets.join(', ')),
      h('td', { class: 'nowrap' }, countdown, h('div', { class: 'muted' }, formatTime(b.expires))),
      h('td', { class: 'nowrap muted' }, formatTime(b.created), b.repeat_count > 1 ? ` · repeat ${b.repeat_count}` : ''),
      h('td', { class: 'wrap' }, b.alert_id && b.alert_id !== 'manual' ? h('a', { href: `#/alerts/${encodeURIComponent(b.alert_id)}` }, b.alert_id) : 'manual',
        b.reason ? h('div', { class: 'muted' }, b.reason) : '', b.actor ? h('div', { class: 'muted' }, `by ${b.actor.replace(/ \(token \d+\)$/u, '')}`) : ''),
      admin ? h('td', {}, h('button', { type: 'button', 'data-action': 'revoke', onclick: async (e) => {
        const ok = await confirmAction({
          title: `Revoke the block of ${describePeer(b.peer)}?`,
          body: [`The rule ${b.kind}/${b.name} is deleted from ${b.targets.join(', ')} now; traffic from ${describePeer(b.peer)} flows again.`,
            'A new alert in block mode can block it again.'],
          confirmLabel: 'Revoke',
        });
        if (!ok) return;
        e.target.disabled = true;
        try {
          await request('DELETE', `/api/blocks/${encodeURIComponent(b.id)}`);
          toast(`Block of ${describePeer(b.peer)} revoked`);
          navigate('/blocks');
        } catch (err) {
          toast(err.message, 'error');
          e.target.disabled = false;
        }
      } }, 'Revoke')) : null);
  }) : h('tr', { class: 'placeholder' }, h('td', { colspan: admin ? 7 : 6 }, 'No block rules in force.')));

  const timer = setInterval(() => {
    const now = Date.now();
    for (const el of countdowns) {
      const left = new Date(el.dataset.expires).getTime() - now;
      el.textContent = left > 0 ? remaining(el.dataset.expires, now) : 'expired, removing…';
      el.classList.toggle('soon', left < 5 * 60_000);
    }
  }, 1000);

  clear(view).append(h('section', { class: 'blocks', 'aria-labelledby': 'blocks-title' },
    h('h1', { id: 'blocks-title' }, 'Blocks'),
    h('p', { class: 'muted' }, 'Deny rules the enforcement sync holds, soonest expiry first. Each expires by itself; ',
      admin ? 'Revoke deletes it from every target now.' : 'an admin can revoke one earlier.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid blocks-table', 'aria-label': 'Blocks in force' },
      h('thead', {}, h('tr', {}, ['Blocked', 'Rule', 'Targets', 'Expires in', 'Created (UTC)', 'Why', ...(admin ? [''] : [])].map((t) => h('th', { scope: 'col' }, t)))),
      tbody))));
  return () => clearInterval(timer);
}
