import { get } from './api.js';
import { clear, h } from './dom.js';

function metricsRows(metrics, prefix = '', out = []) {
  if (!metrics || typeof metrics !== 'object') return out;
  for (const [key, value] of Object.entries(metrics)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) metricsRows(value, name, out);
    else if (typeof value === 'number') out.push([name, Number.isInteger(value) ? String(value) : value.toFixed(4)]);
    else if (typeof value === 'string' || typeof value === 'boolean') out.push([name, String(value)]);
  }
  return out;
}

export async function renderModels({ view }) {
  clear(view).append(h('p', { class: 'loading' }, 'Loading models…'));
  const models = await get('/api/models');
  const cards = models.map((m) => {
    const rows = metricsRows(m.metrics).slice(0, 40);
    return h('article', { class: `model${m.role ? ` model-${m.role}` : ''}`, 'aria-labelledby': `model-${m.name}` },
      h('h2', { id: `model-${m.name}` }, m.name, ' ', h('span', { class: `role-badge role-${m.role ?? 'none'}` }, m.role === 'active' ? 'live' : m.role ?? 'not in use')),
      h('p', { class: 'mono muted wrap' }, m.path),
      h('p', {}, 'Files: ', m.files.join(', ') || 'none'),
      rows.length
        ? h('table', { class: 'kv', 'aria-label': `Metrics of ${m.name}` }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num' }, v)))))
        : h('p', { class: 'muted' }, 'No metrics.json.'));
  });
  clear(view).append(h('section', { class: 'models' },
    h('h1', {}, 'Models'),
    h('p', { class: 'muted' }, 'Live: Detectors:Behaviour:ModelPath scores and alerts. Shadow: Detectors:Behaviour:ShadowModelPath scores the same flows without alerting.'),
    cards.length ? h('div', { class: 'cards' }, cards) : h('p', {}, 'No model folders under Control:ModelsDirectory.')));
  return null;
}
