// The leader dashboard: counts and trends, overdue by department, the
// evaluation ranking, hotspots on the map and 问题归零 per street, with the
// ledgers and their Excel files one click away. ECharts is loaded here only.
import { api, catalog, catName, errText, fmtDay, fmtTime, h, lang, stateTag, t, workLeft } from './lib.js';
import { VectorMap } from './map.js';
import { renderCase } from './casepanel.js';

let echartsP;
function echarts() {
  echartsP ||= new Promise((ok, bad) => {
    const s = document.createElement('script');
    s.src = '/ui/vendor/echarts.min.js';
    s.onload = () => ok(window.echarts);
    s.onerror = () => bad(new Error('echarts'));
    document.head.append(s);
  });
  return echartsP;
}

let defsP;
function definitions() {
  defsP ||= api('GET', '/api/v1/evaluations/definitions');
  return defsP;
}

function month(offset) {
  const d = new Date(Date.now() + 8 * 3600e3);
  d.setUTCDate(1); d.setUTCMonth(d.getUTCMonth() + offset);
  return d.toISOString().slice(0, 7);
}

export async function render(main, me) {
  // The last full month first (what a leader reviews), then this month so
  // far, then the months before.
  const period = h('select', { id: 'period' }, [-1, 0, -2, -3].map(o => h('option', { value: month(o) },
    o === -1 ? t('dash.period.last', { m: month(o) }) : o === 0 ? t('dash.period.now', { m: month(o) }) : month(o))));
  const cards = h('div.cards', { id: 'cards' });
  const charts = { states: h('div.chart'), trend: h('div.chart'), overdue: h('div.chart'), rank: h('div.chart') };
  const zeroing = h('div', { id: 'zeroing' });
  const rankTable = h('div', { id: 'ranking' });
  const mapBox = h('div', { style: 'height:360px' });
  const links = h('p.actions', { id: 'exports' });
  // A street drilled into from 问题归零: its overdue cases, each opening
  // its file here, where a supervision order (督办) is one action away.
  const streetBox = h('section.panel', { id: 'street', hidden: true });
  main.replaceChildren(
    h('div.actions', null, h('h1', null, t('dash.title')), h('label', null, h('span', null, t('dash.period')), period)),
    cards, links,
    h('div.cols', { style: 'grid-template-columns:repeat(auto-fit,minmax(22rem,1fr))' },
      h('section.panel', null, h('h2', null, t('dash.states')), charts.states),
      h('section.panel', null, h('h2', null, t('dash.trend')), charts.trend),
      h('section.panel', null, h('h2', null, t('dash.overdue')), charts.overdue),
      h('section.panel', null, h('h2', null, t('dash.rank')), charts.rank, rankTable),
      h('section.panel', null, h('h2', null, t('dash.hotspots')), mapBox),
      h('section.panel', null, h('h2', null, t('dash.zeroing')), zeroing)),
    streetBox);
  const map = new VectorMap(mapBox, {});
  const [ec, cat] = await Promise.all([echarts(), catalog()]);
  const made = [];
  // Counts are whole numbers on every axis; no animation (a figure is read,
  // not watched).
  const chart = (el, option) => {
    const c = ec.init(el, null, { locale: lang === 'en' ? 'EN' : 'ZH' });
    for (const k of ['xAxis', 'yAxis']) if (option[k] && option[k].type === 'value' && option[k].max !== 100) option[k].minInterval = 1;
    c.setOption({ animation: false, ...option }); made.push(c); return c;
  };
  new ResizeObserver(() => made.forEach(c => c.resize())).observe(main);

  async function load() {
    const p = period.value;
    links.replaceChildren(
      h('a', { href: '/api/v1/ledger?format=xlsx', 'data-export': 'ledger' }, t('dash.ledger.xlsx')),
      h('a', { href: `/api/v1/evaluations?group=department&period=${p}&format=xlsx`, 'data-export': 'evaluation' }, t('dash.eval.xlsx')),
      h('a', { href: `/api/v1/evaluations?group=street&period=${p}&format=xlsx` }, t('dash.evalstreet.xlsx')),
      h('a', { href: `/reports/monthly?period=${p}` }, t('dash.monthly')));
    try {
      const [stats, trend, dept, street, hot, queues, defs] = await Promise.all([
        api('GET', '/api/v1/stats'), api('GET', '/api/v1/zeroing?days=30'),
        api('GET', `/api/v1/evaluations?group=department&period=${p}`), api('GET', `/api/v1/evaluations?group=street&period=${p}`),
        api('GET', '/api/v1/hotspots?days=90'), api('GET', '/api/v1/queues'), definitions()]);
      // Each figure names its definition, from the definitions endpoint.
      const rateDoc = key => {
        const r = defs.rates.find(x => x.key === key);
        if (!r) return '';
        const doc = k => (defs.counts.find(c => c.key === k) || {}).doc || '';
        return `${r.name} = ${r.doc}\n${r.numerator}: ${doc(r.numerator)}\n${r.denominator}: ${doc(r.denominator)}`;
      };
      const scoreDoc = t('dash.score.help', { w: Object.entries(defs.default_weights).map(([k, v]) => `${(defs.rates.find(x => x.key === k) || { name: k }).name} ${v}`).join('、') });
      const open = Object.entries(stats.by_state).filter(([s]) => s !== 'closed' && s !== 'voided').reduce((a, [, n]) => a + n, 0);
      // Overdue now, as the centre's overdue tab counts it (the chart below
      // is the period's cases by department).
      const overdue = (queues.queues.find(q => q.id === 'overdue') || { count: 0 }).count;
      cards.replaceChildren(
        h('div.card', { title: t('dash.total.help') }, t('dash.total'), h('b', { 'data-n': 'total' }, String(stats.total))),
        h('div.card', { title: t('dash.open.help') }, t('dash.open'), h('b', { 'data-n': 'open' }, String(open))),
        h('div.card', { title: t('dash.closed.help') }, t('dash.closed'), h('b', { 'data-n': 'closed' }, String(stats.by_state.closed || 0))),
        h('div.card', { title: t('dash.overdue.help') }, t('dash.overdue.n'), h('b.late', { 'data-n': 'overdue' }, String(overdue))),
        h('div.card', { title: t('dash.zero.help') }, t('dash.zero.days'), h('b', { 'data-n': 'zero' }, String(trend.open_now))));
      const states = Object.keys(stats.by_state);
      chart(charts.states, { tooltip: {}, grid: { left: 50, right: 10, bottom: 60 }, xAxis: { type: 'category', data: states.map(s => t(`state.${s}`)), axisLabel: { rotate: 30, interval: 0 } },
        yAxis: { type: 'value' }, series: [{ type: 'bar', data: states.map(s => stats.by_state[s]), itemStyle: { color: '#7d1a1f' } }] });
      chart(charts.trend, { tooltip: { trigger: 'axis' }, grid: { left: 50, right: 10 }, xAxis: { type: 'category', data: trend.days.map(d => fmtDay(d.day + 'T12:00:00+08:00')) },
        yAxis: { type: 'value' }, series: [{ type: 'line', name: t('dash.open'), data: trend.days.map(d => d.open), smooth: true, areaStyle: {} }] });
      const od = dept.rows.filter(r => r.counts.overdue_open > 0).sort((a, b) => b.counts.overdue_open - a.counts.overdue_open).slice(0, 12).reverse();
      if (!od.length) charts.overdue.replaceChildren(h('p.muted', null, t('dash.overdue.none')));
      if (od.length) chart(charts.overdue, { tooltip: {}, grid: { left: 150, right: 20 }, xAxis: { type: 'value' }, yAxis: { type: 'category', data: od.map(r => r.name), axisLabel: { interval: 0, width: 140, overflow: 'truncate' } },
        series: [{ type: 'bar', data: od.map(r => r.counts.overdue_open || 0), itemStyle: { color: '#c4161c' } }] });
      const ranked = dept.rows.filter(r => r.rank > 0).slice(0, 12);
      chart(charts.rank, { tooltip: {}, grid: { left: 150, right: 20 }, xAxis: { type: 'value', max: 100 }, yAxis: { type: 'category', data: [...ranked].reverse().map(r => r.name), axisLabel: { interval: 0, width: 140, overflow: 'truncate' } },
        series: [{ type: 'bar', data: [...ranked].reverse().map(r => +(r.score || 0).toFixed(1)), itemStyle: { color: '#23824a' } }] });
      rankTable.replaceChildren(h('table', null, h('tr', null, h('th.n', null, t('dash.rankn')), h('th', null, t('case.unit')), h('th.n', { title: scoreDoc, 'data-def': 'score' }, t('dash.score')), h('th.n', { title: t('dash.sample.help', { n: dept.min_sample }) }, t('dash.sample')), h('th.n', { title: rateDoc('close_rate'), 'data-def': 'close_rate' }, t('dash.closerate'))),
        dept.rows.slice(0, 20).map(r => h('tr', { 'data-unit': r.key }, h('td.n', { title: r.small_sample ? t('dash.sample.help', { n: dept.min_sample }) : '' }, r.rank || (r.small_sample ? t('dash.sample.small') : '—')), h('td', null, r.name), h('td.n', null, r.score == null ? '—' : r.score.toFixed(1)), h('td.n', null, String(r.sample)),
          h('td.n', null, r.rates.close_rate == null ? '—' : (r.rates.close_rate * 100).toFixed(1) + '%')))));
      map.ready.then(() => map.setCases([], hot.hotspots.map(x => ({ lon: x.lon, lat: x.lat, count: x.count }))));
      const zs = await Promise.all(street.rows.map(r => api('GET', `/api/v1/zeroing?days=1&street=${r.key}`).then(z => [r, z])));
      zeroing.replaceChildren(h('table', null, h('tr', null, h('th', null, t('dash.street')), h('th.n', null, t('dash.open')), h('th.n', null, t('dash.sincenew'))),
        zs.map(([r, z]) => h('tr', { 'data-street': r.key }, h('td', null, h('button.link', { type: 'button', 'data-drill': r.key, onclick: () => drill(r, z) }, r.name)),
          h('td.n', null, String(z.open_now)), h('td.n', null, z.days_since_new < 0 ? '—' : String(z.days_since_new))))),
        h('p.muted', null, t('dash.street.hint')),
        h('h3', null, t('dash.hotlist')), hot.hotspots.length ? h('ul', null, hot.hotspots.slice(0, 8).map(x => h('li', null, `${catName(cat, x.category)} · ${x.count} · ${x.cases.slice(0, 3).join(' ')}`)))
          : h('p.muted', { id: 'no-hotspots' }, t('dash.hotlist.none')));
    } catch (e) { cards.replaceChildren(h('p.err', null, errText(e))); }
  }
  async function drill(r, z) {
    streetBox.hidden = false;
    streetBox.replaceChildren(h('p.muted', null, t('app.loading')));
    streetBox.scrollIntoView({ block: 'start' });
    try {
      const late = await api('GET', `/api/v1/cases?street=${encodeURIComponent(r.key)}&overdue=true&limit=100`);
      const n = late.next_cursor ? `${late.cases.length}+` : String(late.cases.length);
      const detail = h('div.panel', { id: 'street-case' }, h('p.muted', null, t('desk.pick')));
      const open = async number => {
        for (const tr of streetBox.querySelectorAll('tr.pick')) tr.classList.toggle('on', tr.dataset.number === number);
        try {
          await renderCase(detail, number, me, () => {});
          if (matchMedia('(max-width: 800px)').matches) detail.scrollIntoView({ block: 'start' });
        } catch (e) { detail.replaceChildren(h('p.err', null, errText(e))); }
      };
      const rows = late.cases.map(c => h('tr.pick', { tabindex: 0, 'data-number': c.number, onclick: () => open(c.number), onkeydown: e => { if (e.key === 'Enter') open(c.number); } },
        h('td', null, catName(cat, c.category), h('div.muted', null, c.number, ' · ', fmtTime(c.reported_at))),
        h('td', null, stateTag(c.state), h('div.late', null, workLeft(c.work_left_minutes)))));
      streetBox.replaceChildren(h('h2', null, t('dash.street.title', { street: r.name })),
        h('p', { id: 'street-n', 'data-open': z.open_now, 'data-late': late.cases.length }, t('dash.street.counts', { open: z.open_now, late: n })),
        rows.length ? h('div.desk', null, h('table', { id: 'street-late' }, rows), detail) : h('p.muted', null, t('dash.street.none')));
    } catch (e) { streetBox.replaceChildren(h('p.err', null, errText(e))); }
  }
  period.onchange = () => { made.splice(0).forEach(c => c.dispose()); load(); };
  await load();
}
