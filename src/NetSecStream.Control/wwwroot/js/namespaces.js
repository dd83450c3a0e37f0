import { can, get, put, request } from './api.js';
import { append, clear, formatTime, h } from './dom.js';
import { confirmAction } from './confirm.js';

const MODES = ['log', 'alert', 'block'];
// Namespaces whose overrides are unfolded, kept across the re-render after each change.
const unfolded = new Set();
const MODE_HELP = {
  log: 'records detections, raises no alerts',
  alert: 'records and raises alerts',
  block: 'raises alerts and pushes deny rules to the clusters',
};

function changedText(changed) {
  return changed ? `${changed.by.replace(/ \(token \d+\)$/u, '')}, ${formatTime(changed.at)}` : '';
}

// Who on one line, when below it: keeps the column narrow.
function changedCell(changed) {
  return changed ? [h('div', {}, changed.by.replace(/ \(token \d+\)$/u, '')), h('div', { class: 'muted' }, formatTime(changed.at))] : '';
}

function countBar(n) {
  const w = n === 0 ? 0 : n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
  return h('span', { class: `count-bar w${w}`, 'aria-hidden': 'true' });
}

/**
 * A segmented switch: one radio button per choice. `inherit` adds a first choice that removes the override (its label
 * says what it falls back to); the mode in force when inherited is marked. Disabled (read-only) without `onChange`.
 */
function segmented(label, current, effective, onChange, inherit) {
  const choices = inherit ? [null, ...MODES] : MODES;
  const group = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': label });
  for (const mode of choices) {
    const checked = mode === current;
    const text = mode ?? `${inherit} (${effective})`;
    const button = h('button', {
      type: 'button',
      role: 'radio',
      class: [mode ? `mode-${mode}` : 'mode-inherit', current === null && mode === effective ? 'inherited' : ''].join(' ').trim(),
      'aria-checked': checked ? 'true' : 'false',
      'data-mode': mode ?? 'inherit',
      title: mode ? MODE_HELP[mode] : `no override: ${effective} applies`,
      disabled: !onChange,
    }, text);
    if (onChange) button.addEventListener('click', () => { if (!checked) onChange(mode); });
    group.append(button);
  }
  return group;
}

async function confirmBlock(what) {
  return confirmAction({
    title: `Switch ${what} to block?`,
    body: [
      `In block mode every detection in ${what} also asks the control plane to push a deny rule (CiliumNetworkPolicy or Calico) to the clusters, with a TTL.`,
      'Traffic will be dropped. Allowlisted namespaces and addresses are never blocked.',
    ],
    confirmLabel: 'Switch to block',
    danger: true,
  });
}

export async function renderNamespaces(context) {
  const { view, toast } = context;
  clear(view).append(h('p', { class: 'loading' }, 'Loading namespaces…'));
  const data = await get('/api/modes/namespaces');
  const admin = can('admin');
  const filterInput = h('input', { id: 'ns-filter', type: 'search', placeholder: 'namespace…', autocomplete: 'off', value: context.params.get('q') ?? '' });
  const allSelectors = [...data.cluster_selectors, ...data.namespaces.flatMap((n) => n.selectors)].sort((a, b) => a.index - b.index);

  async function reload(message) {
    if (message) toast(message);
    context.params.set('q', filterInput.value);
    await renderNamespaces(context);
  }

  async function change(path, mode, what, description) {
    if (mode === 'block' && !(await confirmBlock(what))) return;
    try {
      if (mode === null) await request('DELETE', path);
      else await put(path, { mode });
      await reload(description);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function saveSelectors(list, description) {
    try {
      await put('/api/modes/selectors', { selectors: list.map(({ namespace, selector, mode }) => ({ namespace: namespace ?? null, selector, mode })) });
      await reload(description);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  function selectorTable(selectors, ns) {
    const rows = selectors.map((s) => h('tr', { 'data-selector': s.selector },
      h('td', { class: 'mono' }, s.selector),
      h('td', {}, admin
        ? segmented(`Mode of selector ${s.selector}`, s.mode, s.mode, async (mode) => {
          if (mode === 'block' && !(await confirmBlock(`workloads matching ${s.selector}`))) return;
          await saveSelectors(allSelectors.map((x) => (x.index === s.index ? { ...x, mode } : x)), `Selector ${s.selector} set to ${mode}`);
        })
        : h('span', { class: `mode-chip mode-${s.mode}` }, s.mode)),
      h('td', {}, admin ? h('button', { type: 'button', onclick: () => saveSelectors(allSelectors.filter((x) => x.index !== s.index), `Selector ${s.selector} removed`) }, 'Remove') : '')));
    const parts = [];
    if (rows.length) {
      parts.push(h('table', { class: 'grid', 'aria-label': ns ? `Selector overrides in ${ns}` : 'Cluster-wide selector overrides' },
        h('thead', {}, h('tr', {}, ['Selector', 'Mode', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows)));
    }
    if (admin) {
      const selector = h('input', { type: 'text', placeholder: 'app=payments,tier in (db)', 'aria-label': 'New selector', maxlength: 1024 });
      const mode = h('select', { 'aria-label': 'Mode of the new selector' }, MODES.map((m) => h('option', { value: m }, m)));
      parts.push(h('form', { class: 'add-row', onsubmit: async (e) => {
        e.preventDefault();
        if (!selector.value.trim()) return;
        if (mode.value === 'block' && !(await confirmBlock(`workloads matching ${selector.value.trim()}`))) return;
        await saveSelectors([...allSelectors, { namespace: ns, selector: selector.value.trim(), mode: mode.value }], `Selector ${selector.value.trim()} added`);
      } }, selector, mode, h('button', { type: 'submit' }, 'Add selector')));
    }
    return parts;
  }

  function overrides(ns) {
    const workloadRows = ns.workloads.map((w) => h('tr', { 'data-workload': w.name },
      h('td', { class: 'mono' }, w.name),
      h('td', {}, segmented(`Mode of workload ${ns.name}/${w.name}`, w.mode, ns.effective,
        admin ? (mode) => change(`/api/modes/workloads/${encodeURIComponent(ns.name)}/${encodeURIComponent(w.name)}`, mode, `workload ${ns.name}/${w.name}`,
          mode === null ? `Workload ${ns.name}/${w.name} follows its namespace` : `Workload ${ns.name}/${w.name} set to ${mode}`) : null, 'namespace')),
      h('td', { class: 'num' }, String(w.alerts_24h)),
      h('td', { class: 'muted nowrap' }, w.last_seen ? formatTime(w.last_seen) : '–'),
      h('td', { class: 'changed' }, changedCell(w.changed))));
    const body = [
      workloadRows.length
        ? h('table', { class: 'grid', 'aria-label': `Workloads in ${ns.name}` },
          h('thead', {}, h('tr', {}, ['Workload', 'Mode', 'Alerts 24 h', 'Last alert (UTC)', 'Changed'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, workloadRows))
        : h('p', { class: 'muted' }, 'No workload seen in alerts of the last 7 days, and no workload override.'),
    ];
    if (admin) {
      const name = h('input', { type: 'text', placeholder: 'workload name', 'aria-label': `New workload override in ${ns.name}`, maxlength: 253 });
      const mode = h('select', { 'aria-label': 'Mode of the new workload override' }, MODES.map((m) => h('option', { value: m }, m)));
      body.push(h('form', { class: 'add-row', onsubmit: (e) => {
        e.preventDefault();
        if (name.value.trim()) change(`/api/modes/workloads/${encodeURIComponent(ns.name)}/${encodeURIComponent(name.value.trim())}`, mode.value, `workload ${ns.name}/${name.value.trim()}`, `Workload ${ns.name}/${name.value.trim()} set to ${mode.value}`);
      } }, name, mode, h('button', { type: 'submit' }, 'Add workload override')));
    }
    body.push(h('h3', {}, 'Selector overrides'), selectorTable(ns.selectors, ns.name));
    if (!ns.selectors.length && !admin) body.push(h('p', { class: 'muted' }, 'None.'));
    const overridden = ns.workloads.filter((w) => w.mode).length + ns.selectors.length;
    return h('details', { class: 'overrides', open: unfolded.has(ns.name),
      ontoggle: (e) => { if (e.target.open) unfolded.add(ns.name); else unfolded.delete(ns.name); } },
      h('summary', {}, `${ns.workloads.length} workload${ns.workloads.length === 1 ? '' : 's'}, ${overridden} override${overridden === 1 ? '' : 's'}`), body);
  }

  const tbody = h('tbody', {});
  function renderRows() {
    const q = filterInput.value.trim().toLowerCase();
    const shown = data.namespaces.filter((ns) => !q || ns.name.includes(q));
    append(clear(tbody), [shown.length ? shown.map((ns) => [h('tr', { class: `ns-row${ns.effective === 'block' ? ' enforcing' : ''}`, 'data-namespace': ns.name },
      h('td', { class: 'ns-name' }, ns.name),
      h('td', {}, segmented(`Mode of namespace ${ns.name}`, ns.mode, data.default,
        admin ? (mode) => change(`/api/modes/namespaces/${encodeURIComponent(ns.name)}`, mode, `namespace ${ns.name}`,
          mode === null ? `Namespace ${ns.name} follows the default (${data.default})` : `Namespace ${ns.name} set to ${mode}`) : null, 'default')),
      h('td', { class: 'num nowrap ns-count' }, h('a', { href: `#/alerts?namespace=${encodeURIComponent(ns.name)}`, title: `Alerts in ${ns.name}` }, String(ns.alerts_24h)), countBar(ns.alerts_24h)),
      h('td', { class: 'muted nowrap' }, ns.last_alert ? formatTime(ns.last_alert) : '–'),
      h('td', { class: 'ns-changed' }, changedCell(ns.changed))),
    // The overrides under their namespace, across the whole table: a nested table in one cell would widen the column.
    h('tr', { class: `ns-overrides${ns.effective === 'block' ? ' enforcing' : ''}`, 'data-overrides-of': ns.name }, h('td', { colspan: 5 }, overrides(ns)))])
      : h('tr', { class: 'placeholder' }, h('td', { colspan: 5 }, q ? `No namespace matches '${q}'.` : 'No namespace known yet: none has a mode, and no alert names one.'))]);
  }
  filterInput.addEventListener('input', renderRows);
  renderRows();

  const head = h('div', { class: 'ns-head' },
    h('strong', {}, 'Cluster default'),
    segmented('Cluster default mode', data.default, data.default,
      admin ? (mode) => change('/api/modes/default', mode, 'the cluster default', `Default mode set to ${mode}`) : null, null),
    h('span', { class: 'muted' }, data.default_changed ? `changed by ${changedText(data.default_changed)}` : 'from the configuration'),
    h('span', { class: 'field' }, h('label', { for: 'ns-filter' }, 'Filter'), filterInput));

  clear(view).append(h('section', { class: 'namespaces', 'aria-labelledby': 'ns-title' },
    h('h1', { id: 'ns-title' }, 'Namespaces'),
    h('p', { class: 'muted' }, 'The mode applies to every detector: ', h('b', {}, 'log'), ` ${MODE_HELP.log}; `, h('b', {}, 'alert'), ` ${MODE_HELP.alert}; `,
      h('b', {}, 'block'), ` ${MODE_HELP.block}. A workload override wins over a selector, a selector over the namespace, the namespace over the default. `,
      `Alert counts cover the 24 h since ${formatTime(data.counted_since)}. Changes are written to ${data.modes_file}, which the pipeline reloads.`),
    admin ? null : h('p', { class: 'muted', id: 'ns-readonly' }, 'Read-only: changing modes needs an admin token.'),
    head,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid ns-table', 'aria-label': 'Namespaces and their modes' },
      h('thead', {}, h('tr', {}, ['Namespace', 'Mode', 'Alerts 24 h', 'Last alert (UTC)', 'Changed'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody)),
    h('h2', {}, 'Cluster-wide selector overrides'),
    data.cluster_selectors.length || admin ? selectorTable(data.cluster_selectors, null) : h('p', { class: 'muted' }, 'None.'),
    data.selectors_changed ? h('p', { class: 'muted' }, `Selectors last changed by ${changedText(data.selectors_changed)}.`) : null));
  return null;
}
