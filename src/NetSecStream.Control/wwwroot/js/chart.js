import { SEVERITY_NAMES, formatTime, h, s } from './dom.js';

const HEIGHT = 150;
const PAD = { left: 40, right: 8, top: 8, bottom: 22 };

function niceMax(value) {
  if (value <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function tickLabel(date, bucketSeconds) {
  const iso = date.toISOString();
  if (bucketSeconds >= 86400) return iso.slice(0, 10);
  return iso.slice(5, 16).replace('T', ' ');
}

/**
 * Alerts over time as stacked bars by severity (critical on top), hand-written SVG. Clicking a bar calls
 * onPick(from, to) with that bucket's range. Returns a figure whose size never changes with the data.
 */
export function timelineChart(timeline, onPick, width = 960) {
  // Drawn at the size it shows (viewBox in pixels), so text is never scaled and bars fill the width.
  const WIDTH = Math.max(320, Math.round(width));
  const figure = h('figure', { class: 'chart' });
  const caption = h('figcaption', {}, h('span', { class: 'chart-title' }, 'Alerts over time'));
  const totals = [0, 0, 0, 0];
  for (const bucket of timeline.buckets) bucket.counts.forEach((n, i) => { totals[i] += n; });
  const legend = h('ul', { class: 'legend', 'aria-label': 'Severity totals' },
    [1, 2, 3, 4].map((sev) => h('li', {}, h('span', { class: `swatch sev-fill-${sev}`, 'aria-hidden': 'true' }), `${SEVERITY_NAMES[sev]} ${totals[sev - 1]}`)));
  caption.append(legend);
  if (timeline.bucket_seconds) caption.append(h('span', { class: 'muted' }, ` · ${bucketLabel(timeline.bucket_seconds)} buckets, UTC`));

  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart-svg', role: 'img', 'aria-label': `Alerts over time by severity: ${timeline.total} alerts` });
  const buckets = timeline.buckets;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.counts.reduce((a, c) => a + c, 0))));
  for (const fraction of [0, 0.5, 1]) {
    const y = PAD.top + plotH - fraction * plotH;
    svg.append(s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y, class: 'grid' }));
    svg.append(s('text', { x: PAD.left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(max * fraction))));
  }
  if (buckets.length === 0) {
    svg.append(s('text', { x: WIDTH / 2, y: HEIGHT / 2, class: 'axis', 'text-anchor': 'middle' }, 'No alerts match these filters'));
  }
  const slot = buckets.length ? plotW / buckets.length : plotW;
  const barW = Math.max(1, slot * 0.8);
  buckets.forEach((bucket, i) => {
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const start = new Date(bucket.start);
    const end = new Date(start.getTime() + timeline.bucket_seconds * 1000);
    const total = bucket.counts.reduce((a, c) => a + c, 0);
    const group = s('g', { class: total ? 'bar' : 'bar empty', dataset: { start: start.toISOString() } });
    group.append(s('title', {}, `${formatTime(start.toISOString())} – ${formatTime(end.toISOString())}: ${total} alerts (${bucket.counts.map((n, k) => `${SEVERITY_NAMES[k + 1]} ${n}`).join(', ')})`));
    // An invisible full-height target, so thin bars are still easy to hover and click.
    group.append(s('rect', { x: PAD.left + i * slot, y: PAD.top, width: slot, height: plotH, class: 'hit' }));
    let y = PAD.top + plotH;
    for (const sev of [4, 3, 2, 1]) {
      const n = bucket.counts[sev - 1];
      if (!n) continue;
      const height = (n / max) * plotH;
      y -= height;
      group.append(s('rect', { x, y, width: barW, height: Math.max(height, 0.5), class: `sev-fill-${sev}` }));
    }
    if (total && onPick) group.addEventListener('click', () => onPick(start, end));
    svg.append(group);
  });
  const ticks = Math.min(6, buckets.length);
  for (let t = 0; t < ticks; t++) {
    const i = Math.round((t * (buckets.length - 1)) / Math.max(1, ticks - 1));
    const x = PAD.left + i * slot + slot / 2;
    const anchor = t === 0 ? 'start' : t === ticks - 1 ? 'end' : 'middle';
    svg.append(s('text', { x: t === 0 ? PAD.left : t === ticks - 1 ? WIDTH - PAD.right : x, y: HEIGHT - 6, class: 'axis', 'text-anchor': anchor },
      tickLabel(new Date(buckets[i].start), timeline.bucket_seconds)));
  }
  figure.append(caption, svg);
  return figure;
}

function bucketLabel(seconds) {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${seconds / 60} min`;
}

export function chartPlaceholder(text, isError = false) {
  return h('figure', { class: 'chart' }, h('figcaption', {}, h('span', { class: 'chart-title' }, 'Alerts over time')),
    h('div', { class: `chart-svg chart-message${isError ? ' error' : ''}`, role: isError ? 'alert' : null }, text));
}
