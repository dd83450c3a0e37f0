import { ApiError, can, get, post } from './api.js';
import { clear, endpoint, formatTime, h, isTyping, severityBadge, stateBadge } from './dom.js';
import { blockBox } from './blocks.js';

// ECS sections that describe the flow; shown in this order, every other section is left to the raw document.
const FLOW_SECTIONS = ['source', 'destination', 'network', 'orchestrator', 'kubernetes', 'dns', 'http', 'url', 'user_agent', 'tls', 'ssh', 'netsec'];
const SKIP = new Set(['netsec.explanation']);
const TRANSITIONS = {
  new: ['acknowledged', 'resolved', 'false_positive'],
  acknowledged: ['resolved', 'false_positive'],
};
const LABELS = { acknowledged: 'Acknowledge', resolved: 'Resolve', false_positive: 'False positive' };

function flatten(value, prefix, out) {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) out.push([prefix, value.join(', ')]);
    else value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else if (!SKIP.has(prefix)) {
    out.push([prefix, String(value)]);
  }
  return out;
}

/**
 * The behaviour detector writes "...; score S >= threshold T of model M; feature = v (typical t, robust z z, p of normal
 * flows as far); ..."; the parts it can read become table rows, anything else stays as text.
 */
export function parseBehaviour(text) {
  const parts = text.split('; ');
  const features = [];
  const notes = [];
  const pattern = /^(?<feature>[\w.:-]+) = (?<observed>\S+) \(typical (?<typical>\S+), robust z (?<z>[-\d.,∞]+), (?<tail>.+?) of normal flows as far\)$/u;
  for (const part of parts) {
    const match = pattern.exec(part.trim());
    if (match) features.push(match.groups);
    else notes.push(part);
  }
  return { features, notes };
}

export async function renderDetail(id, context) {
  const { view, toast, navigate, fromList } = context;
  clear(view).append(h('p', { class: 'loading' }, 'Loading alert…'));
  let detail;
  try {
    detail = await get(`/api/alerts/${encodeURIComponent(id)}`);
  } catch (e) {
    clear(view).append(h('p', { class: 'error', role: 'alert' }, e instanceof ApiError && e.status === 404 ? `No alert with id ${id}.` : e.message),
      h('p', {}, h('a', { href: '#/alerts' }, '← Back to alerts')));
    return null;
  }
  const a = detail.alert;
  const section = h('section', { class: 'detail', 'aria-labelledby': 'detail-title' });
  const back = h('a', { href: '#/alerts', class: 'back', onclick: (e) => { e.preventDefault(); // Back to the list as it was (filters, current row) when it opened this alert; else to the list's default.
    if (fromList) window.history.back();
    else navigate('/alerts'); } }, '← Alerts');

  const header = h('header', { class: 'detail-head' },
    back,
    h('h1', { id: 'detail-title' }, severityBadge(a.severity), ' ', a.rule_name || a.rule_id),
    h('p', { class: 'meta' }, stateBadge(a.state), ` ${a.detector} · rule ${a.rule_id} · risk ${a.risk_score} · mode ${a.mode} · seen ${a.dedupe_count}× · ${formatTime(a.timestamp)}`,
      a.assignee ? ` · assigned to ${a.assignee}` : ''));

  const triage = triageForm(a, async (state, comment, assignee) => {
    try {
      await post(`/api/alerts/${encodeURIComponent(a.id)}/transition`, { state, comment, assignee });
      toast(`Alert moved to ${state.replace('_', ' ')}`);
      await renderDetail(id, context);
    } catch (e) {
      toast(e.message, 'error');
    }
  });

  const facts = h('table', { class: 'kv', 'aria-label': 'Flow facts' }, h('tbody', {},
    row('Source', endpoint(a.source_ip, a.source_port)),
    row('Destination', endpoint(a.destination_ip, a.destination_port)),
    row('Namespace / workload', [a.namespace, a.workload].filter(Boolean).join(' / ') || '–'),
    row('Community ID', a.community_id ?? '–'),
    flatten(pick(detail.ecs, FLOW_SECTIONS), '', []).map(([k, v]) => row(k, v, true))));

  const explanation = h('div', { class: 'explanation' });
  renderExplanation(explanation, a, detail.explanation);

  const triageHistory = detail.history.length
    ? h('table', { class: 'grid', 'aria-label': 'Triage history' },
      h('thead', {}, h('tr', {}, ['When (UTC)', 'Who', 'From', 'To', 'Assignee', 'Comment'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, detail.history.map((ev) => h('tr', {},
        h('td', { class: 'mono nowrap' }, formatTime(ev.at)), h('td', {}, ev.actor), h('td', {}, stateBadge(ev.from)), h('td', {}, stateBadge(ev.to)),
        h('td', {}, ev.assignee ?? ''), h('td', { class: 'wrap' }, ev.comment ?? '')))))
    : h('p', { class: 'muted' }, 'Not triaged yet.');

  const raw = h('details', {}, h('summary', {}, 'ECS document'), h('pre', { class: 'raw' }, JSON.stringify(detail.ecs, null, 2)));

  const enforce = blockBox(a, toast);
  section.append(header, triage, ...(enforce ? [enforce] : []),
    h('div', { class: 'columns' },
      h('div', {}, h('h2', {}, 'Flow'), facts),
      h('div', {}, h('h2', {}, a.detector === 'behaviour' ? 'Why the model flagged it' : 'What matched'), explanation,
        h('h2', {}, 'Triage history'), triageHistory, raw)));
  clear(view).append(section);
  view.focus();

  function onKey(e) {
    // Keys in the block confirmation are the dialog's (Escape cancels it, and must not also leave the page).
    if (document.querySelector('dialog[open]')) return;
    if (isTyping(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    if (e.key === 'Escape' || e.key === 'u') back.click();
  }
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}

function pick(doc, keys) {
  const out = {};
  for (const key of keys) if (doc && doc[key] !== undefined) out[key] = doc[key];
  return out;
}

function row(key, value, mono = false) {
  return h('tr', {}, h('th', { scope: 'row' }, key), h('td', { class: mono ? 'mono wrap' : 'wrap' }, value));
}

function triageForm(alert, onSubmit) {
  const targets = TRANSITIONS[alert.state] ?? [];
  if (!can('analyst')) return h('p', { class: 'muted' }, 'Read-only: triage needs an analyst token.');
  if (targets.length === 0) return h('p', { class: 'muted' }, `This alert is ${alert.state.replace('_', ' ')}; closed alerts stay closed.`);
  const comment = h('input', { id: 'triage-comment', type: 'text', maxlength: 4000, placeholder: 'why (optional)' });
  const assignee = h('input', { id: 'triage-assignee', type: 'text', maxlength: 200, value: alert.assignee ?? '', autocomplete: 'off' });
  const form = h('form', { class: 'bulkbar', 'aria-label': 'Triage this alert' },
    h('label', { for: 'triage-comment' }, 'Comment'), comment,
    h('label', { for: 'triage-assignee' }, 'Assignee'), assignee,
    targets.map((state) => h('button', { type: 'submit', value: state, 'data-action': state }, LABELS[state])));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const state = e.submitter?.value;
    if (!state) return;
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    await onSubmit(state, comment.value.trim() || null, assignee.value.trim() || null);
    for (const b of form.querySelectorAll('button')) b.disabled = false;
  });
  return form;
}

async function renderExplanation(el, alert, text) {
  if (alert.detector === 'behaviour') {
    const { features, notes } = parseBehaviour(text);
    el.append(h('p', { class: 'wrap' }, notes.join('; ')));
    if (features.length) {
      el.append(h('table', { class: 'grid', 'aria-label': 'Features that drove the score' },
        h('thead', {}, h('tr', {}, ['Feature', 'Observed', 'Typical', 'Robust z', 'Normal flows as far'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, features.map((f) => h('tr', {}, h('td', { class: 'mono' }, f.feature), h('td', { class: 'num' }, f.observed),
          h('td', { class: 'num' }, f.typical), h('td', { class: 'num' }, f.z), h('td', { class: 'num' }, f.tail))))));
    }
    return;
  }
  el.append(h('p', { class: 'wrap mono' }, text));
  if (alert.detector !== 'signature' || !/^\d+$/u.test(alert.rule_id)) return;
  const slot = h('div', { class: 'rule-text' }, h('p', { class: 'muted' }, 'Loading rule…'));
  el.append(slot);
  try {
    const rule = await get(`/api/rules/${alert.rule_id}`);
    clear(slot).append(
      h('p', { class: 'muted' }, `${rule.rule.file ?? 'rules'}:${rule.line} · ${rule.rule.classtype ?? 'no classtype'} · ${rule.rule.enabled ? 'enabled' : 'disabled'}`),
      rule.text ? h('pre', { class: 'raw', 'aria-label': 'Rule text' }, rule.text) : h('p', { class: 'muted' }, 'The rule file is no longer readable.'));
  } catch (e) {
    clear(slot).append(h('p', { class: 'muted' }, e instanceof ApiError && e.status === 404 ? `Rule ${alert.rule_id} is not in the rule set this control plane loads.` : e.message));
  }
}
