// 每月一题: the month's category × street pairs a district may take on as
// its key issue — the most frequent, the rising and the most repeated —
// with the month before beside them, and the file to take to the meeting.
import { api, errText, fill, h, t } from './lib.js';

export async function render(main) {
  const now = new Date(new Date().toLocaleString('en-US', { timeZone: 'Asia/Shanghai' }));
  const last = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  const month = h('input', { type: 'month', id: 'ki-month', value: `${last.getFullYear()}-${String(last.getMonth() + 1).padStart(2, '0')}` });
  const channel = h('select', { id: 'ki-channel' }, h('option', { value: '' }, t('ki.channel.all')), h('option', { value: 'hotline' }, t('channel.hotline')));
  const out = h('div', { id: 'ki-lists' });
  const file = h('a', { id: 'ki-export', download: '' }, t('ki.export'));
  const msg = h('p.err', { role: 'alert' });
  let seq = 0;
  async function load() {
    msg.textContent = '';
    const my = ++seq;
    const q = `month=${month.value}${channel.value ? `&channel=${channel.value}` : ''}`;
    file.href = `/api/v1/key-issues?format=xlsx&${q}`;
    try {
      const r = await api('GET', `/api/v1/key-issues?${q}`);
      if (my !== seq) return; // a later choice is on its way
      const l = r.lists, n = r.names;
      const table = (id, list, cols) => h('section.panel', { id: `ki-${id}` }, h('h3', null, t(`ki.${id}`)), h('p.muted', null, t(`ki.${id}.rule`, { rise: r.rules.rise_min, repeat: r.rules.repeat_min })),
        list.length ? h('div.scroll', null, h('table', null,
          h('thead', null, h('tr', null, h('th', null, t('ki.rank')), h('th', null, t('case.category')), h('th', null, t('field.street')), cols.map(c => h('th.num', null, t(`ki.col.${c}`))))),
          h('tbody', null, list.map(k => h('tr', { 'data-pair': `${k.category}/${k.street}` }, h('td', null, String(k.rank)), h('td', null, n.categories[k.category] || k.category),
            h('td', null, n.streets[k.street] || k.street), cols.map(c => h('td.num', { 'data-col': c }, c === 'repeat_rate' ? `${Math.round(k.repeat_rate * 100)}%` : String(k[c])))))))) : h('p.muted', null, t('ki.none')));
      fill(out, h('p', { id: 'ki-total' }, t('ki.total', { m: l.month, n: l.requests })),
        table('frequent', l.frequent, ['count', 'prev', 'repeats']),
        table('rising', l.rising, ['count', 'prev', 'rise']),
        table('repeats', l.repeats, ['count', 'repeats', 'repeat_rate']));
    } catch (e) { msg.textContent = errText(e); }
  }
  month.addEventListener('change', load);
  channel.addEventListener('change', load);
  fill(main, h('section.panel', null, h('h2', null, t('ki.title')), h('p.muted', null, t('ki.help')),
    h('div.actions', null, h('label', { for: 'ki-month' }, h('span', null, t('ki.month')), month), h('label', { for: 'ki-channel' }, h('span', null, t('case.channel')), channel), file), msg), out);
  await load();
}
