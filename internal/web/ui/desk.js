// The department desk: my unit's to-dos, in the order they are done —
// supervision orders (督办) to answer, new tasks to sign for, tasks in hand
// by their deadline, then suspended ones (挂账: the clock stopped) and tasks
// reported back while others finish. Sign for them, report back with
// photos, ask for return, extension or suspension, answer a supervision
// order; on a hotline order contact the requester first (its own limit)
// and then answer them. One column on a phone, the case opening under its row's list.
import { api, catalog, catName, errText, fill, fmtTime, h, t, workLeft } from './lib.js';
import { renderCase, units } from './casepanel.js';

export async function render(main, me) {
  const [cat, us] = await Promise.all([catalog(), units()]);
  const unit = us.byId.get(me.unit_id);
  const list = h('div', { id: 'tasks' });
  const detail = h('div.panel', { id: 'detail' }, h('p.muted', null, t('desk.pick')));
  async function load() {
    try {
      const [sup, ...lists] = await Promise.all([api('GET', '/api/v1/cases?queue=supervised&limit=500'),
        ...['dispatched', 'in_progress', 'suspended'].map(s => api('GET', `/api/v1/cases?state=${s}&limit=500`))]);
      const supervised = new Set(sup.cases.map(c => c.number));
      const seen = new Set();
      const cases = lists.flatMap(l => l.cases).concat(sup.cases).filter(c => !seen.has(c.number) && seen.add(c.number)).map(x => {
        const mine = (x.tasks || []).find(k => k.unit_id === me.unit_id) || {};
        const section = supervised.has(x.number) ? 'supervised' : x.state === 'suspended' ? 'suspended'
          : mine.state === 'dispatched' ? 'new' : mine.state === 'done' ? 'done' : 'doing';
        // A hotline order's first contact is due before its handling: it
        // sorts by the nearer of the two.
        const contact = mine.contact_due && !mine.contacted_at && mine.state !== 'done' ? mine.contact_due : '';
        return { ...x, mine, section, due: contact || mine.deadline || x.deadline || '9999' };
      });
      const byDue = (x, y) => String(x.due).localeCompare(String(y.due));
      const row = c => h('tr.pick', { tabindex: 0, 'data-number': c.number, 'data-section': c.section, onclick: () => open(c.number), onkeydown: e => { if (e.key === 'Enter') open(c.number); } },
        h('td', null, h('b', null, catName(cat, c.category)), c.urgency && c.urgency !== 'normal' ? h('span.late', null, ' ', t(`urgency.${c.urgency}`)) : '',
          h('div.muted.num', null, c.number), c.address ? h('div.muted.addr', null, c.address) : ''),
        h('td', null, c.section === 'supervised' ? h('div.kind', null, t('desk.supervised')) : '',
          h('div', null, c.section === 'suspended' ? t('desk.suspended') : c.mine.state ? t(`task.${c.mine.state}`) : ''),
          c.mine.request ? h('div.warn', null, t(`request.${c.mine.request}`)) : '',
          // A hotline order: the requester is contacted first, then answered.
          c.mine.contact_due && !c.mine.contacted_at && c.mine.state !== 'done' ? h(Date.parse(c.mine.contact_due) < Date.now() ? 'div.late' : 'div.warn', { 'data-contact-due': '' }, t('case.contact_due', { at: fmtTime(c.mine.contact_due) }))
            : c.mine.contacted_at && c.mine.state === 'signed' ? h('div.muted', { 'data-to-answer': '' }, t('desk.to_answer')) : ''),
        h('td', null, c.section === 'suspended' ? h('div.muted', null, t('desk.clock.stopped'))
          : [h('div.num', null, fmtTime(c.mine.deadline || c.deadline)), h(c.work_left_minutes < 0 ? 'div.late' : 'div.muted', null, workLeft(c.work_left_minutes))]));
      const sections = ['supervised', 'new', 'doing', 'suspended', 'done'].map(s => [s, cases.filter(c => c.section === s).sort(byDue)]);
      const todo = cases.filter(c => c.section !== 'done').length;
      // The unit named: one person may sign in for more than one.
      fill(list, h('h2', null, unit ? h('span', { 'data-unit': unit.code }, unit.name, ' · ') : '', t('desk.todo', { n: todo })),
        ...sections.filter(([, cs]) => cs.length).map(([s, cs]) => h('section.desk-section', { 'data-section': s },
          h('h3', null, t(`desk.section.${s}`, { n: cs.length })),
          h('table.tasks', null, h('tr', null, h('th', null, t('case.category')), h('th', null, t('case.task')), h('th', null, t('case.deadline'))), cs.map(row)))),
        cases.length ? null : h('p.muted', null, t('centre.empty')));
    } catch (e) { list.replaceChildren(h('p.err', null, errText(e))); }
  }
  async function open(n) {
    for (const tr of list.querySelectorAll('tr.pick')) tr.classList.toggle('on', tr.dataset.number === n);
    try {
      await renderCase(detail, n, me, () => load());
      if (matchMedia('(max-width: 800px)').matches) detail.scrollIntoView({ block: 'start' });
    } catch (e) { detail.replaceChildren(h('p.err', null, errText(e))); }
  }
  main.replaceChildren(h('div.desk', null, h('section.panel', null, list), detail));
  await load();
}
