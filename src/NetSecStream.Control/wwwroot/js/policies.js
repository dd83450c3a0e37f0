// The policy editor: the list of policies, a YAML view and a form view of one policy kept in sync through the
// server's parser, diagnostics as you type, a picture of the workloads it selects, and the plan before apply.
import { ApiError, can, get, post, request } from './api.js';
import { clear, formatTime, h, s } from './dom.js';

const VALIDATE_DELAY_MS = 250;
const FORM_DELAY_MS = 150;

const TEMPLATE = (ns) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: new-policy
  namespace: ${ns}
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
      ports:
        - port: 8080
          protocol: TCP
`;

export async function renderPolicies({ view, params, toast, replaceParams }) {
  const analyst = can('analyst');
  const admin = can('admin');
  const state = {
    id: null, // the stored policy being edited (null: a new one)
    saved: null, // its stored text
    validation: null, // the last validation, for validatedText
    validatedText: null,
    plan: null, // the last plan, for plannedText
    plannedText: null,
    generation: 0,
    tab: 'yaml',
    workloads: { namespaces: [], flows: 0 },
  };
  let validateTimer = 0;
  let formTimer = 0;

  const listBody = h('tbody', {});
  const listStatus = h('p', { class: 'muted', 'aria-live': 'polite' });
  const title = h('h2', { id: 'policy-editor-title' }, 'New policy');
  const stateBadge = h('span', { class: 'policy-state', id: 'policy-state' });

  // YAML view: a textarea with a line-number gutter that also marks the lines with diagnostics.
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const yaml = h('textarea', {
    id: 'policy-yaml', class: 'yaml', spellcheck: 'false', wrap: 'off', autocomplete: 'off', 'aria-describedby': 'policy-diagnostics',
    readonly: !analyst,
  });
  const diagnostics = h('ul', { id: 'policy-diagnostics', class: 'diagnostics', 'aria-live': 'polite', 'aria-label': 'Diagnostics' });
  const yamlPanel = h('div', { id: 'panel-yaml', role: 'tabpanel', 'aria-labelledby': 'tab-yaml', class: 'tabpanel' },
    h('label', { for: 'policy-yaml', class: 'sr-only' }, 'Policy YAML'),
    h('div', { class: 'yaml-editor' }, gutter, yaml));

  const formPanel = h('div', { id: 'panel-form', role: 'tabpanel', 'aria-labelledby': 'tab-form', class: 'tabpanel', hidden: true });
  const tabYaml = h('button', { type: 'button', role: 'tab', id: 'tab-yaml', 'aria-controls': 'panel-yaml', 'aria-selected': 'true' }, 'YAML');
  const tabForm = h('button', { type: 'button', role: 'tab', id: 'tab-form', 'aria-controls': 'panel-form', 'aria-selected': 'false', tabindex: '-1' }, 'Form');
  const tabs = h('div', { role: 'tablist', 'aria-label': 'Editor view', class: 'tabs' }, tabYaml, tabForm);

  const summary = h('div', { id: 'policy-summary', class: 'policy-summary', 'aria-live': 'polite' });
  const picture = h('figure', { id: 'policy-picture', class: 'policy-picture' });
  const planPanel = h('div', { id: 'policy-plan', class: 'policy-plan', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Run the plan to see what this policy would do to the recent flows.'));

  const planButton = h('button', { type: 'button', id: 'policy-run-plan', disabled: !analyst }, 'Run plan');
  const saveButton = h('button', { type: 'button', id: 'policy-save', hidden: !admin }, 'Save draft');
  const applyButton = h('button', { type: 'button', id: 'policy-apply', class: 'primary', hidden: !admin, disabled: true, 'aria-describedby': 'policy-apply-help' }, 'Apply…');
  const deleteButton = h('button', { type: 'button', id: 'policy-delete', hidden: true }, 'Delete');
  const applyHelp = h('span', { id: 'policy-apply-help', class: 'help' }, 'Apply needs a plan of the current text.');

  const confirmText = h('p', { id: 'policy-confirm-text' });
  const confirmOk = h('button', { type: 'submit', class: 'primary', value: 'apply', id: 'policy-confirm-apply' }, 'Apply');
  const confirmCancel = h('button', { type: 'submit', value: 'cancel', id: 'policy-confirm-cancel' }, 'Cancel');
  const dialog = h('dialog', { id: 'policy-confirm', 'aria-labelledby': 'policy-confirm-title', 'aria-describedby': 'policy-confirm-text' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'policy-confirm-title' }, 'Apply this policy?'),
      confirmText,
      h('div', { class: 'dialog-buttons' }, confirmCancel, confirmOk)));

  clear(view).append(h('section', { class: 'policies' },
    h('h1', {}, 'Policies'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid policies-table', 'aria-label': 'Policies' },
      h('thead', {}, h('tr', {}, ['Kind', 'Namespace', 'Name', 'State', 'Updated', 'By', 'Applied'].map((t) => h('th', { scope: 'col' }, t)))),
      listBody)),
    h('div', { class: 'pager' }, listStatus, analyst ? h('button', { type: 'button', id: 'policy-new', onclick: () => openNew() }, 'New policy') : null),
    h('div', { class: 'editor-head' }, title, stateBadge),
    h('div', { class: 'policy-editor', 'aria-labelledby': 'policy-editor-title', role: 'region' },
      h('div', { class: 'editor-main' }, tabs, yamlPanel, formPanel,
        h('h3', {}, 'Diagnostics'), diagnostics,
        h('div', { class: 'editor-actions' }, planButton, saveButton, applyButton, deleteButton, applyHelp)),
      h('div', { class: 'editor-side' },
        h('h3', {}, 'What it says'), summary,
        h('h3', {}, 'Workloads it selects'), picture,
        h('h3', {}, 'Plan on recent flows'), planPanel)),
    dialog));

  // Keyboard: arrows move between the tabs (the WAI-ARIA tabs pattern); Tab in the textarea keeps its meaning.
  tabs.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const next = state.tab === 'yaml' ? 'form' : 'yaml';
      switchTab(next);
      (next === 'yaml' ? tabYaml : tabForm).focus();
    }
  });
  tabYaml.addEventListener('click', () => switchTab('yaml'));
  tabForm.addEventListener('click', () => switchTab('form'));

  yaml.addEventListener('input', () => textChanged());
  yaml.addEventListener('scroll', () => { gutter.scrollTop = yaml.scrollTop; });
  planButton.addEventListener('click', () => runPlan());
  saveButton.addEventListener('click', () => save().catch((e) => toast(e.message, 'error')));
  applyButton.addEventListener('click', () => confirmApply());
  deleteButton.addEventListener('click', () => remove());
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'apply') apply();
  });

  function switchTab(tab) {
    state.tab = tab;
    tabYaml.setAttribute('aria-selected', String(tab === 'yaml'));
    tabForm.setAttribute('aria-selected', String(tab === 'form'));
    tabYaml.tabIndex = tab === 'yaml' ? 0 : -1;
    tabForm.tabIndex = tab === 'form' ? 0 : -1;
    yamlPanel.hidden = tab !== 'yaml';
    formPanel.hidden = tab !== 'form';
    if (tab === 'form') renderForm();
  }

  function setText(text) {
    yaml.value = text;
    textChanged();
  }

  function textChanged() {
    renderGutter();
    renderPlanState();
    clearTimeout(validateTimer);
    if (analyst) validateTimer = setTimeout(validate, VALIDATE_DELAY_MS);
    else if (!picture.firstChild) renderPicture();
  }

  function renderGutter() {
    const lines = yaml.value.split('\n').length;
    const marks = new Map();
    if (state.validatedText === yaml.value) {
      for (const d of state.validation?.diagnostics ?? []) {
        if (!marks.has(d.line) || d.severity === 'error') marks.set(d.line, d);
      }
    }
    clear(gutter);
    for (let i = 1; i <= lines; i++) {
      const d = marks.get(i);
      gutter.append(h('div', { class: d ? `ln diag-${d.severity}` : 'ln', title: d ? d.message : null, dataset: { line: String(i) } }, String(i)));
    }
    gutter.scrollTop = yaml.scrollTop;
  }

  async function validate() {
    const text = yaml.value;
    const generation = ++state.generation;
    try {
      const result = await post('/api/policies/validate', { yaml: text });
      if (generation !== state.generation) return;
      state.validation = result;
      state.validatedText = text;
    } catch (e) {
      if (generation !== state.generation) return;
      state.validation = { valid: false, diagnostics: [{ line: 1, severity: 'error', message: e.message }], policies: [], form: null, form_note: e.message, selection: null };
      state.validatedText = text;
    }
    renderValidation();
  }

  function renderValidation() {
    const v = state.validation;
    renderGutter();
    clear(diagnostics);
    for (const d of v.diagnostics) {
      diagnostics.append(h('li', { class: `diag diag-${d.severity}`, dataset: { line: String(d.line) } },
        h('button', { type: 'button', class: 'link-button', onclick: () => goToLine(d.line) }, `Line ${d.line}`), `: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`));
    }
    if (v.diagnostics.length === 0) diagnostics.append(h('li', { class: 'ok' }, v.valid ? 'No problems.' : 'No policy in the text.'));
    clear(summary);
    for (const p of v.policies) {
      summary.append(h('p', {}, h('strong', {}, `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`), ` selects ${p.endpoint_selector}.`),
        h('ul', {}, p.rules.map((r) => h('li', {}, r))));
    }
    if (v.policies.length === 0) summary.append(h('p', { class: 'muted' }, 'Nothing to describe yet.'));
    renderPicture();
    renderPlanState();
    if (state.tab === 'form' && !formPanel.contains(document.activeElement)) renderForm();
  }

  function goToLine(line) {
    switchTab('yaml');
    const lines = yaml.value.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    yaml.focus();
    yaml.setSelectionRange(offset, offset + (lines[line - 1]?.length ?? 0));
  }

  // ---- form view ----

  function renderForm() {
    const v = state.validatedText === yaml.value ? state.validation : null;
    clear(formPanel);
    if (!v) {
      formPanel.append(h('p', { class: 'muted' }, 'Checking the YAML…'));
      return;
    }
    if (!v.form) {
      formPanel.append(h('p', { class: 'error', role: 'alert', id: 'form-note' }, `The form cannot show this policy: ${v.form_note ?? 'the YAML has errors'}. Edit it in the YAML view.`));
      return;
    }
    const f = structuredClone(v.form);
    const cilium = f.kind === 'CiliumNetworkPolicy';
    const errorLine = h('p', { class: 'error', id: 'form-error', role: 'alert' });
    const changed = () => {
      clearTimeout(formTimer);
      formTimer = setTimeout(() => {
        try {
          const next = readForm();
          errorLine.textContent = '';
          setText(writeYaml(next));
        } catch (e) {
          errorLine.textContent = e.message;
        }
      }, FORM_DELAY_MS);
    };
    const field = (id, label, input, help) => h('div', { class: 'field' }, h('label', { for: id }, label), input, help ? h('span', { class: 'help', id: `${id}-help` }, help) : null);
    const kind = h('select', { id: 'form-kind', disabled: !analyst },
      ['NetworkPolicy', 'CiliumNetworkPolicy'].map((k) => h('option', { value: k, selected: k === f.kind }, k)));
    const name = h('input', { id: 'form-name', value: f.name, readonly: !analyst, autocomplete: 'off' });
    const ns = h('input', { id: 'form-namespace', value: f.namespace ?? '', readonly: !analyst, autocomplete: 'off' });
    const selector = h('input', { id: 'form-selector', value: labelsText(f.selector), readonly: !analyst, autocomplete: 'off', 'aria-describedby': 'form-selector-help', class: 'wide' });
    const isoIn = h('input', { type: 'checkbox', id: 'form-iso-ingress', checked: f.ingress_isolated, disabled: !analyst || cilium });
    const isoEg = h('input', { type: 'checkbox', id: 'form-iso-egress', checked: f.egress_isolated, disabled: !analyst || cilium });
    const rules = { ingress: f.ingress.map((r) => ruleModel(r)), egress: f.egress.map((r) => ruleModel(r)) };
    const ruleLists = { ingress: h('div', { class: 'rules-list' }), egress: h('div', { class: 'rules-list' }) };

    function ruleModel(r) {
      return { peers: r.peers.map(peerText).join('\n'), ports: r.ports.map((p) => `${p.port ?? '*'}/${p.protocol}`).join(', ') };
    }

    function renderRules(direction) {
      clear(ruleLists[direction]);
      rules[direction].forEach((rule, i) => {
        const id = `form-${direction}-${i}`;
        const peers = h('textarea', { id: `${id}-peers`, rows: 2, value: rule.peers, readonly: !analyst, spellcheck: 'false', 'aria-describedby': 'form-peers-help' });
        const ports = h('input', { id: `${id}-ports`, value: rule.ports, readonly: !analyst, autocomplete: 'off', 'aria-describedby': 'form-ports-help' });
        peers.addEventListener('input', () => { rule.peers = peers.value; changed(); });
        ports.addEventListener('input', () => { rule.ports = ports.value; changed(); });
        const removeRule = h('button', { type: 'button', 'aria-label': `Remove ${direction} rule ${i + 1}`, disabled: !analyst }, 'Remove');
        removeRule.addEventListener('click', () => { rules[direction].splice(i, 1); renderRules(direction); changed(); });
        ruleLists[direction].append(h('fieldset', { class: 'rule' },
          h('legend', {}, `${direction === 'ingress' ? 'Ingress' : 'Egress'} rule ${i + 1}`),
          field(`${id}-peers`, direction === 'ingress' ? 'From (one peer a line; empty: anyone)' : 'To (one peer a line; empty: anyone)', peers),
          field(`${id}-ports`, 'Ports (empty: every port)', ports),
          removeRule));
      });
    }

    const addRule = (direction) => h('button', { type: 'button', id: `form-add-${direction}`, disabled: !analyst, onclick: () => {
      rules[direction].push({ peers: '', ports: '' });
      if (direction === 'egress' && !cilium) isoEg.checked = true;
      if (direction === 'ingress' && !cilium) isoIn.checked = true;
      renderRules(direction);
      changed();
      document.getElementById(`form-${direction}-${rules[direction].length - 1}-peers`)?.focus();
    } }, `Add ${direction} rule`);

    function readForm() {
      const out = {
        kind: kind.value, name: name.value.trim(), namespace: ns.value.trim(), selector: parseLabels(selector.value, 'Endpoint selector'),
        ingress_isolated: isoIn.checked, egress_isolated: isoEg.checked, ingress: [], egress: [],
      };
      for (const direction of ['ingress', 'egress']) {
        rules[direction].forEach((rule, i) => {
          const where = `${direction} rule ${i + 1}`;
          out[direction].push({
            peers: rule.peers.split('\n').map((l) => l.trim()).filter(Boolean).map((l, n) => parsePeer(l, `${where}, peer ${n + 1}`)),
            ports: rule.ports.split(',').map((p) => p.trim()).filter(Boolean).map((p) => parsePort(p, where)),
          });
        });
      }
      if (out.kind === 'CiliumNetworkPolicy') {
        out.ingress_isolated = out.ingress.length > 0;
        out.egress_isolated = out.egress.length > 0;
      }
      return out;
    }

    for (const input of [name, ns, selector]) input.addEventListener('input', changed);
    for (const input of [kind, isoIn, isoEg]) input.addEventListener('change', changed);
    renderRules('ingress');
    renderRules('egress');
    formPanel.append(h('div', { class: 'form-grid' },
      field('form-kind', 'Kind', kind), field('form-name', 'Name', name), field('form-namespace', 'Namespace', ns)),
    field('form-selector', 'Endpoint selector', selector, 'Labels the selected pods carry: app=web, tier=api (empty: every pod of the namespace).'),
    h('div', { class: 'form-iso' },
      h('label', {}, isoIn, ' Default-deny ingress'), h('label', {}, isoEg, ' Default-deny egress'),
      cilium ? h('span', { class: 'help' }, 'Cilium: a direction with rules is default-deny.') : null),
    h('p', { class: 'help', id: 'form-peers-help' }, 'A peer is labels (app=frontend, or * for every pod), optionally "in <namespace>" (* for every namespace), or a CIDR (10.0.0.0/8).'),
    h('p', { class: 'help', id: 'form-ports-help' }, 'Ports: 8080/TCP, 53/UDP, */TCP for every TCP port.'),
    h('h3', {}, 'Ingress'), ruleLists.ingress, addRule('ingress'),
    h('h3', {}, 'Egress'), ruleLists.egress, addRule('egress'),
    errorLine);
  }

  // ---- selection picture ----

  function renderPicture() {
    clear(picture);
    const v = state.validation;
    const namespaces = state.workloads.namespaces;
    if (!analyst) {
      picture.append(h('p', { class: 'muted' }, 'Validating a policy (its selection and its plan) needs an analyst token.'));
      return;
    }
    if (namespaces.length === 0) {
      picture.append(h('p', { class: 'muted', id: 'picture-empty' }, 'No workloads seen in the recent flows yet: the picture fills as traffic arrives.'));
      return;
    }
    const selected = new Set((v?.selection?.selected ?? []).map((w) => `${w.namespace}/${w.name}`));
    const peers = v?.selection?.peers ?? [];
    const peerKeys = new Set(peers.map((p) => `${p.namespace}/${p.workload}`));
    const W = 190;
    const ROW = 24;
    const GAP = 16;
    const PER_ROW = 3;
    const positions = new Map();
    const groups = [];
    let y = 0;
    for (let r = 0; r < namespaces.length; r += PER_ROW) {
      const row = namespaces.slice(r, r + PER_ROW);
      const height = Math.max(...row.map((n) => n.workloads.length)) * ROW + 30;
      row.forEach((n, c) => {
        const x = c * (W + GAP);
        const nodes = n.workloads.map((w, i) => {
          const key = `${n.name}/${w.name}`;
          const cx = x + 10;
          const cy = y + 26 + i * ROW;
          positions.set(key, { x: cx, y: cy + 9, w: W - 20 });
          const cls = `node${selected.has(key) ? ' selected' : ''}${peerKeys.has(key) ? ' peer' : ''}`;
          const labels = Object.entries(w.labels).map(([k, val]) => `${k}=${val}`).join(', ');
          return s('g', { class: cls, dataset: { namespace: n.name, workload: w.name, selected: String(selected.has(key)), peer: String(peerKeys.has(key)) } },
            s('title', {}, `${key}${labels ? ` (${labels})` : ''}${selected.has(key) ? ': selected' : ''}${peerKeys.has(key) ? ': a peer its rules name' : ''}`),
            s('rect', { x: cx, y: cy, width: W - 20, height: 18, rx: 4 }),
            s('text', { x: cx + 8, y: cy + 13 }, w.name.length > 24 ? `${w.name.slice(0, 23)}…` : w.name));
        });
        groups.push(s('g', { class: 'ns', dataset: { namespace: n.name } },
          s('rect', { x, y, width: W, height: height - 8, rx: 6 }),
          s('text', { x: x + 8, y: y + 16, class: 'ns-name' }, n.name),
          nodes));
      });
      y += height;
    }
    const links = [];
    for (const p of peers) {
      const from = positions.get(`${p.namespace}/${p.workload}`);
      if (!from) continue;
      for (const key of selected) {
        const to = positions.get(key);
        if (!to || (to === from)) continue;
        // Ingress: the peer talks to the selected pod; egress: the selected pod talks to the peer.
        const [a, b] = p.direction === 'ingress' ? [from, to] : [to, from];
        const ax = a.x + a.w;
        // Same column: a loop on the right of the group; otherwise a curve from one edge to the other.
        const sameColumn = Math.abs(a.x - b.x) < 1;
        const bx = sameColumn ? b.x + b.w : b.x;
        const bend = sameColumn ? 36 + Math.min(40, Math.abs(a.y - b.y) / 3) : 40;
        links.push(s('path', {
          class: `link link-${p.direction}${p.deny ? ' link-deny' : ''}`,
          d: sameColumn
            ? `M${ax},${a.y} C${ax + bend},${a.y} ${bx + bend},${b.y} ${bx},${b.y}`
            : `M${ax},${a.y} C${ax + 40},${a.y} ${bx - 40},${b.y} ${bx},${b.y}`,
          'marker-end': 'url(#arrow)',
          dataset: { from: p.direction === 'ingress' ? `${p.namespace}/${p.workload}` : key, to: p.direction === 'ingress' ? key : `${p.namespace}/${p.workload}` },
        }));
      }
    }
    // Room on the right for the loops of same-namespace links.
    const width = Math.min(namespaces.length, PER_ROW) * (W + GAP) + 40;
    const description = selected.size
      ? `Selects ${[...selected].join(', ')}.${peerKeys.size ? ` Its rules name ${[...peerKeys].join(', ')}.` : ''}`
      : 'Selects none of the workloads seen in recent flows.';
    picture.append(s('svg', { class: 'selection-svg', viewBox: `-2 -2 ${width + 4} ${y + 4}`, width: width + 4, height: y + 4, role: 'img', 'aria-labelledby': 'picture-title picture-desc' },
      s('title', { id: 'picture-title' }, 'Workloads the policy selects'),
      s('desc', { id: 'picture-desc' }, description),
      s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
      groups, links),
    h('figcaption', { id: 'picture-caption' }, description,
      v?.selection?.other_peers?.length ? ` Also: ${v.selection.other_peers.join('; ')}.` : '',
      h('span', { class: 'legend-inline' }, h('span', { class: 'swatch swatch-selected' }), ' selected ', h('span', { class: 'swatch swatch-peer' }), ' peer')));
  }

  // ---- plan and apply ----

  function planIsCurrent() {
    return state.plan !== null && state.plannedText === yaml.value;
  }

  function renderPlanState() {
    const valid = state.validatedText === yaml.value && state.validation?.valid;
    const current = planIsCurrent();
    planPanel.classList.toggle('stale', state.plan !== null && !current);
    applyButton.disabled = !(admin && valid && current && state.plan.window_flows >= 0);
    applyHelp.textContent = !valid ? 'Apply needs a policy without errors.' : current ? 'The plan below is for the current text.' : 'Apply needs a plan of the current text: run the plan.';
    const stale = document.getElementById('plan-stale');
    if (state.plan !== null && !current && !stale) planPanel.prepend(h('p', { class: 'error', id: 'plan-stale' }, 'The text changed since this plan: run it again.'));
    if (current && stale) stale.remove();
  }

  async function runPlan() {
    const text = yaml.value;
    planButton.disabled = true;
    clear(planPanel).append(h('p', { class: 'muted' }, 'Planning on the recent flows…'));
    try {
      const plan = await post('/api/policies/plan', { yaml: text, replaces: state.id });
      state.plan = plan;
      state.plannedText = text;
      showPlan(plan);
    } catch (e) {
      state.plan = null;
      clear(planPanel).append(h('p', { class: 'error', role: 'alert' }, e.message));
    } finally {
      planButton.disabled = !analyst;
      renderPlanState();
    }
  }

  function showPlan(plan) {
    clear(planPanel);
    if (plan.message) planPanel.append(h('p', { class: plan.window_flows ? 'help' : 'error', id: 'plan-message' }, plan.message));
    if (!plan.window_flows) return;
    const row = (label, key, value, cls) => h('tr', { dataset: { count: key } }, h('th', { scope: 'row' }, label), h('td', { class: `num ${cls ?? ''}` }, value.toLocaleString('en')));
    planPanel.append(
      h('p', { class: 'help' }, `${plan.window_flows.toLocaleString('en')} recent flows from ${formatTime(plan.oldest)} to ${formatTime(plan.newest)}, on top of ${plan.policies_in_force} polic${plan.policies_in_force === 1 ? 'y' : 'ies'} in force (${plan.elapsed_ms.toFixed(0)} ms).`),
      h('table', { class: 'kv plan-counts', 'aria-label': 'Plan counts' }, h('tbody', {},
        row('Flows judged', 'judged', plan.judged),
        row('Allowed', 'allowed', plan.allowed, 'ok'),
        row('Denied', 'denied', plan.denied, plan.denied ? 'error' : ''),
        row('Not evaluated', 'not_evaluated', plan.not_evaluated),
        row('Not selected', 'not_selected', plan.not_selected),
        row('Newly denied by this change', 'newly_denied', plan.newly_denied, plan.newly_denied ? 'error' : ''),
        row('Newly allowed by this change', 'newly_allowed', plan.newly_allowed))),
      examples('Newly denied, for example', plan.newly_denied_examples),
      examples('Newly allowed, for example', plan.newly_allowed_examples));
  }

  function examples(caption, list) {
    if (!list?.length) return null;
    return h('table', { class: 'grid plan-examples', 'aria-label': caption },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ['Source', 'Destination', 'Port', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((e) => h('tr', {}, h('td', { class: 'mono' }, e.source), h('td', { class: 'mono' }, e.destination),
        h('td', { class: 'num' }, `${e.port}/${e.protocol}`), h('td', { class: 'wrap' }, e.reason)))));
  }

  function confirmApply() {
    if (!planIsCurrent()) return;
    const p = state.plan;
    const policy = state.validation.policies[0];
    const name = `${policy.namespace ? `${policy.namespace}/` : ''}${policy.name}`;
    confirmText.textContent = p.window_flows
      ? `Apply ${policy.kind} ${name}? On the ${p.judged.toLocaleString('en')} recent flows it judges, ${p.denied.toLocaleString('en')} would be denied`
        + ` (${p.newly_denied.toLocaleString('en')} newly denied by this change, ${p.newly_allowed.toLocaleString('en')} newly allowed), ${p.allowed.toLocaleString('en')} allowed,`
        + ` ${p.not_evaluated.toLocaleString('en')} not evaluated and ${p.not_selected.toLocaleString('en')} not selected.`
      : `Apply ${policy.kind} ${name}? There are no recent flows to check it against.`;
    dialog.returnValue = '';
    dialog.showModal();
    confirmCancel.focus();
  }

  async function save() {
    const text = yaml.value;
    const result = await post('/api/policies', { yaml: text });
    state.id = result.policy.id;
    state.saved = text;
    replaceParams({ id: state.id });
    showHeader(result.policy);
    await loadList();
    toast(`Saved ${result.policy.namespace ? `${result.policy.namespace}/` : ''}${result.policy.name} as a draft`);
    return result;
  }

  async function apply() {
    applyButton.disabled = true;
    try {
      if (state.saved !== yaml.value || !state.id) await save();
      const result = await post(`/api/policies/${encodeURIComponent(state.id)}/apply`);
      showHeader(result.policy);
      await loadList();
      if (result.enforcement_errors?.length) toast(`Applied to the folder; enforcement failed: ${result.enforcement_errors.join('; ')}`, 'warn');
      else toast(`Applied ${result.policy.namespace ? `${result.policy.namespace}/` : ''}${result.policy.name}`);
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      renderPlanState();
    }
  }

  async function remove() {
    if (!state.id || !window.confirm(`Delete policy ${state.id}? An applied policy is removed from the applied folder too.`)) return;
    try {
      await request('DELETE', `/api/policies/${encodeURIComponent(state.id)}`);
      toast(`Deleted ${state.id}`);
      await loadList();
      openNew();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  function showHeader(policy) {
    title.textContent = policy ? `${policy.kind} ${policy.namespace ? `${policy.namespace}/` : ''}${policy.name}` : 'New policy';
    stateBadge.textContent = policy ? policy.state : '';
    stateBadge.className = policy ? `policy-state state-${policy.state}` : 'policy-state';
    stateBadge.hidden = !policy;
    deleteButton.hidden = !(admin && policy);
  }

  // ---- list ----

  async function loadList() {
    try {
      const list = await get('/api/policies');
      clear(listBody);
      for (const p of list.items) {
        const open = h('a', { href: `#/policies?id=${encodeURIComponent(p.id)}`, onclick: (e) => { e.preventDefault(); openPolicy(p.id); } }, p.name);
        listBody.append(h('tr', { dataset: { id: p.id, state: p.state }, class: p.id === state.id ? 'current' : '' },
          h('td', {}, p.kind), h('td', {}, p.namespace ?? '(cluster)'), h('td', {}, open),
          h('td', {}, h('span', { class: `policy-state state-${p.state}` }, p.state)),
          h('td', { class: 'nowrap' }, formatTime(p.updated)), h('td', {}, p.updated_by), h('td', { class: 'nowrap' }, formatTime(p.applied_at))));
      }
      if (list.items.length === 0) listBody.append(h('tr', { class: 'placeholder' }, h('td', { colspan: 7 }, 'No policies yet.')));
      listStatus.textContent = `${list.items.length} polic${list.items.length === 1 ? 'y' : 'ies'}; applied ones are written to ${list.applied_directory}`;
    } catch (e) {
      clear(listBody).append(h('tr', { class: 'placeholder' }, h('td', { colspan: 7, class: 'error', role: 'alert' }, e.message)));
    }
  }

  async function openPolicy(id) {
    try {
      const detail = await get(`/api/policies/${encodeURIComponent(id)}`);
      state.id = id;
      state.saved = detail.yaml;
      state.plan = null;
      replaceParams({ id });
      showHeader(detail.policy);
      clear(planPanel).append(h('p', { class: 'muted' }, 'Run the plan to see what this policy would do to the recent flows.'));
      setText(detail.yaml);
      for (const row of listBody.querySelectorAll('tr[data-id]')) row.classList.toggle('current', row.dataset.id === id);
    } catch (e) {
      toast(e instanceof ApiError && e.status === 404 ? `No policy ${id}` : e.message, 'error');
    }
  }

  function openNew() {
    state.id = null;
    state.saved = null;
    state.plan = null;
    replaceParams({});
    showHeader(null);
    clear(planPanel).append(h('p', { class: 'muted' }, 'Run the plan to see what this policy would do to the recent flows.'));
    setText(TEMPLATE(state.workloads.namespaces[0]?.name ?? 'default'));
    yaml.focus();
  }

  try {
    state.workloads = await get('/api/workloads');
  } catch {
    state.workloads = { namespaces: [], flows: 0 };
  }
  await loadList();
  if (params.get('id')) await openPolicy(params.get('id'));
  else openNew();
  return () => {
    clearTimeout(validateTimer);
    clearTimeout(formTimer);
  };
}

// ---- text forms of labels, peers and ports, and the YAML the form writes ----

function labelsText(labels) {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
}

function peerText(p) {
  if (p.cidr) return p.cidr;
  const labels = labelsText(p.labels) || '*';
  return p.namespace ? `${labels} in ${p.namespace}` : labels;
}

function parseLabels(text, where) {
  const labels = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._/-]*)=([A-Za-z0-9._-]*)$/.exec(part);
    if (!m) throw new Error(`${where}: '${part}' is not key=value`);
    labels[m[1]] = m[2];
  }
  return labels;
}

function parsePeer(line, where) {
  if (/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(line)) return { cidr: line };
  const m = /^(.*?)(?:\s+in\s+(\S+))?$/.exec(line);
  const labels = m[1].trim() === '*' ? {} : parseLabels(m[1].replace(/\s+/g, ','), where);
  return { labels, namespace: m[2] ?? null };
}

function parsePort(text, where) {
  const m = /^(\*|\d{1,5})(?:\/(TCP|UDP|SCTP|ANY))?$/i.exec(text);
  if (!m || (m[1] !== '*' && (Number(m[1]) < 1 || Number(m[1]) > 65535))) throw new Error(`${where}: '${text}' is not a port such as 8080/TCP`);
  return { port: m[1] === '*' ? null : Number(m[1]), protocol: (m[2] ?? 'TCP').toUpperCase() };
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9._/-]*$/;
const RESERVED = new Set(['true', 'false', 'yes', 'no', 'on', 'off', 'null', 'y', 'n']);

function scalar(value) {
  const text = String(value);
  return PLAIN.test(text) && !RESERVED.has(text.toLowerCase()) ? text : JSON.stringify(text);
}

function matchLabels(labels, indent) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return ' {}';
  return `\n${' '.repeat(indent)}matchLabels:\n${entries.map(([k, v]) => `${' '.repeat(indent + 2)}${scalar(k)}: ${scalar(v)}`).join('\n')}`;
}

export function writeYaml(f) {
  const out = [];
  const cilium = f.kind === 'CiliumNetworkPolicy';
  out.push(`apiVersion: ${cilium ? 'cilium.io/v2' : 'networking.k8s.io/v1'}`, `kind: ${f.kind}`, 'metadata:', `  name: ${scalar(f.name || 'unnamed')}`);
  if (f.namespace) out.push(`  namespace: ${scalar(f.namespace)}`);
  out.push('spec:');
  if (cilium) {
    out.push(`  endpointSelector:${matchLabels(f.selector, 4)}`);
  } else {
    out.push(`  podSelector:${matchLabels(f.selector, 4)}`);
    const types = [f.ingress_isolated ? 'Ingress' : null, f.egress_isolated ? 'Egress' : null].filter(Boolean);
    if (types.length) out.push('  policyTypes:', ...types.map((t) => `    - ${t}`));
  }
  for (const direction of ['ingress', 'egress']) {
    const rules = f[direction];
    if (!rules.length) continue;
    out.push(`  ${direction}:`);
    for (const rule of rules) out.push(...(cilium ? ciliumRule(rule, direction, f.namespace) : networkPolicyRule(rule, direction, f.namespace)));
  }
  return `${out.join('\n')}\n`;
}

function networkPolicyRule(rule, direction, ns) {
  const lines = [];
  const key = direction === 'ingress' ? 'from' : 'to';
  if (rule.peers.length) {
    lines.push(`    - ${key}:`);
    for (const p of rule.peers) {
      if (p.cidr) {
        lines.push('        - ipBlock:', `            cidr: ${scalar(p.cidr)}`);
        continue;
      }
      lines.push(`        - podSelector:${matchLabels(p.labels, 12)}`);
      if (p.namespace === '*') lines.push('          namespaceSelector: {}');
      else if (p.namespace && p.namespace !== ns) lines.push('          namespaceSelector:', '            matchLabels:', `              kubernetes.io/metadata.name: ${scalar(p.namespace)}`);
    }
  }
  if (rule.ports.length) {
    lines.push(`    ${lines.length ? ' ' : '-'} ports:`);
    for (const p of rule.ports) {
      lines.push(p.port === null ? `        - protocol: ${p.protocol}` : `        - port: ${p.port}`, ...(p.port === null ? [] : [`          protocol: ${p.protocol}`]));
    }
  }
  if (!lines.length) lines.push('    - {}');
  return lines;
}

function ciliumRule(rule, direction, ns) {
  const lines = [];
  const prefix = direction === 'ingress' ? 'from' : 'to';
  const item = () => (lines.length ? '      ' : '    - ');
  const endpoints = rule.peers.filter((p) => !p.cidr);
  const cidrs = rule.peers.filter((p) => p.cidr);
  if (endpoints.length) {
    lines.push(`${item()}${prefix}Endpoints:`);
    for (const p of endpoints) {
      const labels = { ...p.labels };
      if (p.namespace && p.namespace !== '*' && p.namespace !== ns) labels['k8s:io.kubernetes.pod.namespace'] = p.namespace;
      const body = matchLabels(labels, 10);
      if (p.namespace === '*') {
        lines.push(`        - matchExpressions:`, '            - key: k8s:io.kubernetes.pod.namespace', '              operator: Exists');
        if (Object.keys(labels).length) lines.push(`          matchLabels:${body.replace(/^\n {10}matchLabels:/, '')}`);
      } else if (Object.keys(labels).length) {
        lines.push(`        -${body.replace(/^\n {10}/, ' ')}`);
      } else {
        lines.push('        - {}');
      }
    }
  }
  if (cidrs.length) {
    lines.push(`${item()}${prefix}CIDR:`, ...cidrs.map((p) => `        - ${scalar(p.cidr)}`));
  }
  if (rule.ports.length) {
    lines.push(`${item()}toPorts:`, '        - ports:');
    for (const p of rule.ports) lines.push(`            - port: "${p.port ?? 0}"`, `              protocol: ${p.protocol}`);
  }
  if (!lines.length) lines.push(`    - ${prefix}Entities:`, '        - all');
  return lines;
}
