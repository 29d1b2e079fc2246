// The department desk: my unit's tasks, most urgent deadline first; sign
// for them, report back with photos, ask for return, extension or
// suspension, answer a supervision order.
import { api, catalog, catName, errText, fmtTime, h, stateTag, t, workLeft } from './lib.js';
import { renderCase } from './casepanel.js';

export async function render(main, me) {
  const cat = await catalog();
  const list = h('div', { id: 'tasks' });
  const detail = h('div.panel', { id: 'detail' }, h('p.muted', null, t('desk.pick')));
  async function load() {
    try {
      const [a, b, c] = await Promise.all(['dispatched', 'in_progress', 'suspended'].map(s => api('GET', `/api/v1/cases?state=${s}&limit=500`)));
      const cases = [...a.cases, ...b.cases, ...c.cases].map(x => {
        const mine = (x.tasks || []).find(k => k.unit_id === me.unit_id) || {};
        return { ...x, mine, due: mine.deadline || x.deadline || '9999' };
      }).sort((x, y) => String(x.due).localeCompare(String(y.due)));
      list.replaceChildren(h('h2', null, t('desk.title', { n: cases.length })), cases.length ? h('table', null,
        h('tr', null, h('th', null, t('case.category')), h('th', null, t('case.task')), h('th', null, t('case.deadline'))),
        cases.map(c => h('tr.pick', { tabindex: 0, 'data-number': c.number, onclick: () => open(c.number), onkeydown: e => { if (e.key === 'Enter') open(c.number); } },
          h('td', null, catName(cat, c.category), h('div.muted', null, c.number, ' · ', c.address || '')),
          h('td', null, c.mine.state ? t(`task.${c.mine.state}`) : stateTag(c.state), c.mine.request ? h('div.warn', null, t(`request.${c.mine.request}`)) : ''),
          h('td', null, fmtTime(c.mine.deadline || c.deadline), h(c.overdue ? 'div.late' : 'div.muted', null, workLeft(c.work_left_minutes)))))) : h('p.muted', null, t('centre.empty')));
    } catch (e) { list.replaceChildren(h('p.err', null, errText(e))); }
  }
  async function open(n) {
    try { await renderCase(detail, n, me, () => load()); } catch (e) { detail.replaceChildren(h('p.err', null, errText(e))); }
  }
  main.replaceChildren(h('div.cols', { style: 'grid-template-columns:minmax(18rem,1fr) minmax(20rem,1.2fr)' }, h('section.panel', null, list), detail));
  await load();
}
