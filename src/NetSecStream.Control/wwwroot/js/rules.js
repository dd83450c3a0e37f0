import { ApiError, can, get, put, query, request } from './api.js';
import { append, clear, h } from './dom.js';

const PAGE_SIZE = 100;

export async function renderRules({ view, params, toast, replaceParams }) {
  const admin = can('admin');
  const state = { items: [], next: null, total: 0, q: params.get('q') ?? '', generation: 0 };
  const search = h('input', { id: 'rule-q', type: 'search', value: state.q, placeholder: 'text in msg', autocomplete: 'off' });
  const tbody = h('tbody', {});
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(false) }, 'More rules');
  const report = h('div', { class: 'report', 'aria-live': 'polite' });

  const upload = admin ? uploadForm(report, toast, () => load(true)) : h('p', { class: 'muted' }, 'Uploading and switching rules needs an admin token.');
  clear(view).append(h('section', { class: 'rules' },
    h('h1', {}, 'Rules'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Search rules', onsubmit: (e) => { e.preventDefault(); apply(); } },
      h('div', { class: 'field' }, h('label', { for: 'rule-q' }, 'Search'), search),
      h('div', { class: 'field buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Search'))),
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid', 'aria-label': 'Signature rules by sid' },
      h('thead', {}, h('tr', {}, ['Sid', 'Rev', 'Message', 'Action', 'Classtype', 'File', 'Enabled'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)),
    h('div', { class: 'pager' }, status, more),
    h('h2', {}, 'Upload a rules file'), upload, report));

  let timer = 0;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(apply, 250); });

  function apply() {
    state.q = search.value.trim();
    replaceParams({ q: state.q });
    load(true);
  }

  async function load(reset) {
    const generation = reset ? ++state.generation : state.generation;
    if (reset) clear(tbody).append(h('tr', { class: 'placeholder' }, h('td', { colspan: 7 }, 'Loading rules…')));
    try {
      const page = await get(`/api/rules${query({ q: state.q, limit: PAGE_SIZE, after_sid: reset ? '' : state.next })}`);
      if (generation !== state.generation) return;
      if (reset) {
        state.items = [];
        clear(tbody);
      }
      state.items.push(...page.items);
      state.next = page.next_after_sid;
      state.total = page.total;
      for (const rule of page.items) tbody.append(ruleRow(rule));
      if (state.items.length === 0) tbody.append(h('tr', { class: 'placeholder' }, h('td', { colspan: 7 }, state.total ? 'No rule matches.' : 'No rules loaded: set Detectors:Signatures:Paths or upload a file.')));
      status.textContent = `${state.items.length} shown of ${state.total} loaded rules`;
      more.hidden = state.next === null || state.next === undefined;
    } catch (e) {
      if (generation === state.generation) clear(tbody).append(h('tr', { class: 'placeholder' }, h('td', { colspan: 7, class: 'error', role: 'alert' }, e.message)));
    }
  }

  function ruleRow(rule) {
    const toggle = admin
      ? h('button', { type: 'button', class: `switch${rule.enabled ? ' on' : ''}`, role: 'switch', 'aria-checked': String(rule.enabled), 'aria-label': `Rule ${rule.sid} enabled` },
        rule.enabled ? 'on' : 'off')
      : h('span', {}, rule.enabled ? 'yes' : 'no');
    if (admin) {
      toggle.addEventListener('click', async () => {
        toggle.disabled = true;
        try {
          const updated = await put(`/api/rules/${rule.sid}/enabled`, { enabled: !rule.enabled });
          rule.enabled = updated.enabled;
          toggle.classList.toggle('on', rule.enabled);
          toggle.setAttribute('aria-checked', String(rule.enabled));
          toggle.textContent = rule.enabled ? 'on' : 'off';
          toast(`Rule ${rule.sid} ${rule.enabled ? 'enabled' : 'disabled'}`);
        } catch (e) {
          toast(e.message, 'error');
        } finally {
          toggle.disabled = false;
        }
      });
    }
    return h('tr', { dataset: { sid: String(rule.sid) }, class: rule.enabled ? '' : 'disabled' },
      h('td', { class: 'mono num' }, String(rule.sid)), h('td', { class: 'num' }, String(rule.rev)), h('td', { class: 'wrap' }, rule.msg ?? ''),
      h('td', {}, rule.action), h('td', {}, rule.classtype ?? ''), h('td', { class: 'mono' }, rule.file ?? ''), h('td', {}, toggle));
  }

  load(true);
  return null;
}

function uploadForm(report, toast, reload) {
  const file = h('input', { id: 'rules-file', type: 'file', accept: '.rules,text/plain', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Check and upload');
  const form = h('form', { class: 'upload', 'aria-label': 'Upload a rules file' },
    h('label', { for: 'rules-file' }, 'Rules file (.rules)'), file, button,
    h('p', { class: 'help' }, 'The file is checked with the engine\'s loader; it is kept when at least one rule loads.'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    button.disabled = true;
    clear(report).append(h('p', { class: 'muted' }, `Checking ${chosen.name}…`));
    try {
      const text = await chosen.text();
      const result = await request('POST', `/api/rules/files/${encodeURIComponent(chosen.name)}`, text);
      showReport(report, result);
      toast(`${chosen.name}: ${result.loaded} of ${result.total} rules loaded`);
      reload();
    } catch (err) {
      // A file where no rule loads answers 400 with the same report: show it, it says why.
      if (err instanceof ApiError && err.body && typeof err.body.total === 'number') showReport(report, err.body);
      else clear(report).append(h('p', { class: 'error', role: 'alert' }, err.message));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function showReport(report, r) {
  append(clear(report), [
    h('h3', {}, `Check report: ${r.file}`),
    h('p', { class: r.stored ? 'ok' : 'error' }, r.stored ? 'Stored. ' : 'Not stored: no rule loaded. ',
      `${r.total} rules, ${r.loaded} loaded, ${r.failed} failed.`),
    Object.keys(r.unsupported_keywords ?? {}).length
      ? h('p', {}, 'Unsupported keywords: ', Object.entries(r.unsupported_keywords).map(([k, n]) => `${k} (${n})`).join(', '))
      : null,
    r.errors?.length
      ? h('table', { class: 'grid', 'aria-label': 'Rule errors' },
        h('thead', {}, h('tr', {}, ['Where', 'Sid', 'Kind', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, r.errors.map((d) => h('tr', {}, h('td', { class: 'mono nowrap' }, `${d.file ?? r.file}:${d.line}`), h('td', { class: 'mono' }, d.sid ?? ''),
          h('td', {}, d.kind), h('td', { class: 'wrap' }, d.reason)))))
      : null]);
}
