import { can, get, post, query } from './api.js';
import { chartPlaceholder, timelineChart } from './chart.js';
import { clear, endpoint, formatTime, h, isTyping, severityBadge, stateBadge } from './dom.js';

const PAGE_SIZE = 50;
const FILTER_KEYS = ['from', 'to', 'namespace', 'detector', 'rule', 'severity', 'state'];
const ACTIONS = {
  a: { state: 'acknowledged', label: 'Acknowledge' },
  r: { state: 'resolved', label: 'Resolve' },
  f: { state: 'false_positive', label: 'False positive' },
};

// datetime-local inputs hold a wall-clock time without a zone; the list treats it as UTC, as it shows every time.
const toIso = (local) => (local ? `${local.length === 16 ? `${local}:00` : local}Z` : '');
const toLocal = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16) : '');

export async function renderAlerts({ view, params, toast, navigate, replaceParams }) {
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? '']));
  const state = { items: [], cursor: null, current: Number(params.get('row') ?? 0) || 0, selected: new Set(), loading: false, generation: 0 };
  const analyst = can('analyst');

  const field = (key, label, control) => h('div', { class: 'field' }, h('label', { for: `f-${key}` }, label), control);
  const select = (key, options) => h('select', { id: `f-${key}`, name: key },
    options.map(([value, text]) => h('option', { value, selected: filters[key] === value }, text)));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Alert filters' },
    field('from', 'From (UTC)', h('input', { id: 'f-from', name: 'from', type: 'datetime-local', value: toLocal(filters.from) })),
    field('to', 'To (UTC)', h('input', { id: 'f-to', name: 'to', type: 'datetime-local', value: toLocal(filters.to) })),
    field('namespace', 'Namespace', h('input', { id: 'f-namespace', name: 'namespace', type: 'search', value: filters.namespace, placeholder: 'any', autocomplete: 'off', spellcheck: 'false' })),
    field('detector', 'Detector', select('detector', [['', 'any'], ['signature', 'signature'], ['behaviour', 'behaviour'], ['policy', 'policy'], ['intel', 'intel']])),
    field('rule', 'Rule id', h('input', { id: 'f-rule', name: 'rule', type: 'search', value: filters.rule, placeholder: 'any', autocomplete: 'off', spellcheck: 'false' })),
    field('severity', 'Severity', select('severity', [['', 'any'], ['1', 'critical'], ['2', 'high'], ['3', 'medium'], ['4', 'low']])),
    field('state', 'State', select('state', [['', 'any'], ['new', 'new'], ['acknowledged', 'acknowledged'], ['resolved', 'resolved'], ['false_positive', 'false positive']])),
    h('div', { class: 'field buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
      h('button', { type: 'button', onclick: () => { form.reset(); for (const el of form.elements) if (el.name) el.value = ''; apply(); } }, 'Clear')));

  const chartSlot = h('div', { class: 'chart-slot' }, chartPlaceholder('Loading…'));
  const selectedCount = h('span', { class: 'selcount', 'aria-live': 'polite' }, 'No alerts selected');
  const comment = h('input', { id: 'bulk-comment', type: 'text', maxlength: 4000, placeholder: 'why (optional)' });
  const assignee = h('input', { id: 'bulk-assignee', type: 'text', maxlength: 200, placeholder: 'who (optional)', autocomplete: 'off' });
  const bulkBar = analyst
    ? h('div', { class: 'bulkbar', role: 'toolbar', 'aria-label': 'Triage the selected alerts (or the current one)' },
      selectedCount,
      h('label', { for: 'bulk-comment' }, 'Comment'), comment,
      h('label', { for: 'bulk-assignee' }, 'Assignee'), assignee,
      Object.entries(ACTIONS).map(([key, action]) => h('button', { type: 'button', 'data-action': action.state, 'aria-keyshortcuts': key, onclick: () => act(action.state) },
        action.label, h('kbd', {}, key))))
    : h('p', { class: 'muted' }, 'Your token is read-only (viewer): triage needs an analyst token.');

  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every alert shown', onchange: () => {
    if (selectAll.checked) for (const item of state.items) state.selected.add(item.id);
    else state.selected.clear();
    renderRows();
  } });
  const tbody = h('tbody', {});
  const table = h('table', { class: 'grid alerts-table', 'aria-label': 'Alerts, newest first', 'aria-rowcount': -1 },
    h('colgroup', {}, ['sel', 'sev', 'time', 'det', 'rule', 'ns', 'flow', 'state', 'who', 'count'].map((c) => h('col', { class: `c-${c}` }))),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, analyst ? selectAll : h('span', { class: 'sr-only' }, 'Selection')),
      ['Severity', 'Time (UTC)', 'Detector', 'Rule', 'Namespace / workload', 'Source → destination', 'State', 'Assignee', 'Count'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(false) }, 'Load older alerts');
  const help = h('p', { class: 'keys' }, 'Keys: ', h('kbd', {}, 'j'), '/', h('kbd', {}, 'k'), ' move · ', h('kbd', {}, 'x'), ' select · ',
    analyst ? [h('kbd', {}, 'a'), ' acknowledge · ', h('kbd', {}, 'r'), ' resolve · ', h('kbd', {}, 'f'), ' false positive · '] : null,
    h('kbd', {}, 'Enter'), ' open · ', h('kbd', {}, '/'), ' filter');

  clear(view).append(h('section', { class: 'alerts' },
    h('h1', { class: 'sr-only' }, 'Alerts'),
    form, chartSlot, bulkBar, h('div', { class: 'table-wrap' }, table), h('div', { class: 'pager' }, status, more), help));

  function readForm() {
    const data = new FormData(form);
    for (const key of FILTER_KEYS) {
      const value = String(data.get(key) ?? '').trim();
      filters[key] = key === 'from' || key === 'to' ? toIso(value) : value;
    }
  }

  function apply() {
    readForm();
    replaceParams(filters);
    state.current = 0;
    state.selected.clear();
    load(true);
    loadChart();
  }

  let typing = 0;
  form.addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(typing); apply(); });
  for (const el of form.querySelectorAll('select, input[type=datetime-local]')) el.addEventListener('change', apply);
  // Text filters apply once typing pauses; Enter applies at once.
  for (const el of form.querySelectorAll('input[type=search]')) {
    el.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(apply, 400);
    });
  }

  let timeline = null;
  let drawnWidth = 0;
  function drawChart() {
    drawnWidth = chartSlot.clientWidth;
    clear(chartSlot).append(timelineChart(timeline, (from, to) => {
      form.elements.from.value = toLocal(from.toISOString());
      form.elements.to.value = toLocal(to.toISOString());
      apply();
    }, chartSlot.clientWidth - 26));
  }

  async function loadChart() {
    const generation = state.generation;
    try {
      const answer = await get(`/api/alerts/timeline${query({ from: filters.from, to: filters.to, namespace: filters.namespace, detector: filters.detector, rule: filters.rule, state: filters.state, buckets: 60 })}`);
      if (generation !== state.generation) return;
      timeline = answer;
      drawChart();
    } catch (e) {
      if (generation === state.generation) clear(chartSlot).append(chartPlaceholder(e.message, true));
    }
  }

  // The chart is drawn at its pixel size; redraw it when the window changes that (not on every pixel).
  const resize = new ResizeObserver(() => {
    const width = chartSlot.clientWidth;
    if (timeline && Math.abs(width - drawnWidth) > 24) {
      drawChart();
    }
  });
  resize.observe(chartSlot);

  async function load(reset) {
    if (state.loading && !reset) return;
    const generation = reset ? ++state.generation : state.generation;
    state.loading = true;
    if (reset) {
      state.items = [];
      state.cursor = null;
      clear(tbody).append(h('tr', { class: 'placeholder' }, h('td', { colspan: 10 }, 'Loading alerts…')));
    }
    more.disabled = true;
    try {
      const page = await get(`/api/alerts${query({ ...filters, limit: PAGE_SIZE, cursor: reset ? '' : state.cursor })}`);
      if (generation !== state.generation) return;
      state.items.push(...page.items);
      state.cursor = page.next_cursor;
      state.current = Math.min(state.current, Math.max(0, state.items.length - 1));
      renderRows();
    } catch (e) {
      if (generation !== state.generation) return;
      if (reset) clear(tbody).append(h('tr', { class: 'placeholder' }, h('td', { colspan: 10, class: 'error', role: 'alert' }, e.message, ' ', h('button', { type: 'button', onclick: () => load(true) }, 'Retry'))));
      else toast(e.message, 'error');
    } finally {
      if (generation === state.generation) {
        state.loading = false;
        more.disabled = false;
      }
    }
  }

  function renderRow(item, index) {
    const selected = state.selected.has(item.id);
    const row = h('tr', {
      class: `sev-row-${item.severity}${index === state.current ? ' current' : ''}${selected ? ' selected' : ''}`,
      'aria-selected': selected ? 'true' : 'false',
      tabindex: index === state.current ? 0 : -1,
      dataset: { id: item.id, index: String(index) },
      onclick: (e) => { if (!(e.target instanceof HTMLInputElement) && !(e.target instanceof HTMLAnchorElement)) moveTo(index, false); },
      ondblclick: () => open(item),
    },
    h('td', {}, analyst ? h('input', { type: 'checkbox', checked: selected, 'aria-label': `Select alert ${item.rule_name}`, onchange: () => toggle(index) }) : null),
    h('td', {}, severityBadge(item.severity)),
    h('td', { class: 'mono nowrap' }, formatTime(item.timestamp)),
    h('td', {}, item.detector),
    h('td', { class: 'rule' }, h('a', { href: `#/alerts/${encodeURIComponent(item.id)}`, title: item.rule_id }, item.rule_name || item.rule_id), h('span', { class: 'muted mono' }, ` ${item.rule_id}`)),
    h('td', {}, item.namespace ?? h('span', { class: 'muted' }, '–'), item.workload ? h('span', { class: 'muted' }, ` / ${item.workload}`) : null),
    h('td', { class: 'mono nowrap' }, endpoint(item.source_ip, item.source_port), ' → ', endpoint(item.destination_ip, item.destination_port)),
    h('td', {}, stateBadge(item.state)),
    h('td', {}, item.assignee ?? ''),
    h('td', { class: 'num' }, String(item.dedupe_count)));
    return row;
  }

  function renderRows() {
    const focused = tbody.contains(document.activeElement);
    clear(tbody);
    if (state.items.length === 0) {
      tbody.append(h('tr', { class: 'placeholder' }, h('td', { colspan: 10 }, 'No alerts match these filters.')));
    } else {
      state.items.forEach((item, i) => tbody.append(renderRow(item, i)));
    }
    status.textContent = `${state.items.length} alert${state.items.length === 1 ? '' : 's'} shown${state.cursor ? ', more older ones' : ''}`;
    more.hidden = !state.cursor;
    updateSelection();
    if (focused) focusCurrent();
  }

  function updateSelection() {
    const n = state.selected.size;
    selectedCount.textContent = n ? `${n} selected` : 'No alerts selected: keys act on the current row';
    selectAll.checked = n > 0 && n === state.items.length;
    selectAll.indeterminate = n > 0 && n < state.items.length;
  }

  function rowAt(index) {
    return tbody.querySelector(`tr[data-index="${index}"]`);
  }

  function focusCurrent() {
    const row = rowAt(state.current);
    if (row) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: 'nearest' });
    }
  }

  function moveTo(index, focus = true) {
    if (state.items.length === 0) return;
    const next = Math.max(0, Math.min(state.items.length - 1, index));
    const old = rowAt(state.current);
    if (old) {
      old.classList.remove('current');
      old.tabIndex = -1;
    }
    state.current = next;
    const row = rowAt(next);
    row.classList.add('current');
    row.tabIndex = 0;
    if (focus) focusCurrent();
    // Near the end of what is loaded, fetch the next page, so j never stops at a page boundary.
    if (next >= state.items.length - 3 && state.cursor) load(false);
  }

  function toggle(index) {
    const item = state.items[index];
    if (!item) return;
    if (state.selected.has(item.id)) state.selected.delete(item.id);
    else state.selected.add(item.id);
    const row = rowAt(index);
    const selected = state.selected.has(item.id);
    row.classList.toggle('selected', selected);
    row.setAttribute('aria-selected', String(selected));
    row.querySelector('input[type=checkbox]').checked = selected;
    updateSelection();
  }

  function open(item) {
    replaceParams({ ...filters, row: state.current || '' });
    navigate(`/alerts/${encodeURIComponent(item.id)}`);
  }

  async function act(target) {
    const ids = state.selected.size ? [...state.selected] : state.items[state.current] ? [state.items[state.current].id] : [];
    if (ids.length === 0) return;
    const body = { ids, state: target, comment: comment.value.trim() || null, assignee: assignee.value.trim() || null };
    for (const button of bulkBar.querySelectorAll('button')) button.disabled = true;
    try {
      const result = await post('/api/alerts/bulk', body);
      const outcome = new Map(result.results.map((r) => [r.id, r.result]));
      for (const item of state.items) {
        if (outcome.get(item.id) === 'changed') {
          item.state = target;
          if (body.assignee) item.assignee = body.assignee;
        }
      }
      const conflicts = result.results.filter((r) => r.result === 'conflict').length;
      const missing = result.results.filter((r) => r.result === 'not_found').length;
      toast(`${result.changed} alert${result.changed === 1 ? '' : 's'} moved to ${target.replace('_', ' ')}`
        + `${conflicts ? `; ${conflicts} could not move from their state` : ''}${missing ? `; ${missing} no longer exist` : ''}`, conflicts || missing ? 'warn' : 'info');
      state.selected.clear();
      comment.value = '';
      renderRows();
      focusCurrent();
      loadChart();
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      for (const button of bulkBar.querySelectorAll('button')) button.disabled = false;
    }
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (isTyping(e.target)) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    const key = e.key;
    if (key === 'Enter' && e.target instanceof HTMLElement && ['A', 'BUTTON'].includes(e.target.tagName)) return;
    if (key === 'j' || key === 'ArrowDown') moveTo(state.current + 1);
    else if (key === 'k' || key === 'ArrowUp') moveTo(state.current - 1);
    else if (key === 'x') toggle(state.current);
    else if (key === 'Enter' && state.items[state.current]) open(state.items[state.current]);
    else if (key === '/') form.elements.namespace.focus();
    else if (analyst && ACTIONS[key]) act(ACTIONS[key].state);
    else return;
    e.preventDefault();
  }

  document.addEventListener('keydown', onKey);
  load(true);
  loadChart();
  return () => {
    document.removeEventListener('keydown', onKey);
    resize.disconnect();
    clearTimeout(typing);
  };
}
