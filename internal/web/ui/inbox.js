// The inbox (待办消息): what is new for the signed-in person or their unit,
// the deadlines warned about and those passed; a line opens its case beside
// the list, with the actions the reader may take, and is marked read.
import { api, errText, fmtTime, h, lang, t, toast } from './lib.js';
import { renderCase } from './casepanel.js';

export async function render(main, me) {
  const list = h('div', { id: 'inbox' });
  const detail = h('div.panel', { id: 'detail' }, h('p.muted', null, t('inbox.pick')));
  async function open(number, line) {
    try {
      if (line && !line.read_at) {
        await api('POST', '/api/v1/inbox/read', { ids: [line.id] });
        line.read_at = new Date().toISOString();
        document.dispatchEvent(new Event('xiuhua:inbox'));
        await load();
      }
      await renderCase(detail, number, me, () => load());
      detail.scrollIntoView({ block: 'nearest' });
    } catch (e) { detail.replaceChildren(h('p.err', null, errText(e))); }
  }
  async function load() {
    try {
      const r = await api('GET', `/api/v1/inbox?limit=200&lang=${lang}`);
      const line = n => h('tr.pick' + (n.read_at ? '' : '.unread'), { tabindex: 0, 'data-line': n.id, 'data-number': n.case_number,
        onclick: () => open(n.case_number, n), onkeydown: e => { if (e.key === 'Enter') open(n.case_number, n); } },
      h('td', null, h('span.kind', null, t(`inbox.kind.${n.kind}`)), h('div', null, n.text), n.text.includes(n.case_number) ? '' : h('div.muted', null, n.case_number)),
      h('td', null, fmtTime(n.at), n.due ? h('div.muted', null, t('inbox.due', { at: fmtTime(n.due) })) : ''));
      const due = d => h('tr.pick', { tabindex: 0, 'data-number': d.case_number, onclick: () => open(d.case_number),
        onkeydown: e => { if (e.key === 'Enter') open(d.case_number); } },
      h('td', null, d.case_number, h('div.muted', null, t(`step.${d.step}`))),
      h('td', null, fmtTime(d.deadline), h(d.overdue ? 'div.late' : 'div.warn', null, t(d.overdue ? 'inbox.late' : 'inbox.soon'))));
      const section = (id, title, rows, empty) => h('section', { id }, h('h2', null, title),
        rows.length ? h('table', null, rows) : h('p.muted', null, empty));
      list.replaceChildren(
        h('div.actions', null, h('h2', { style: 'flex:1' }, t('inbox.title', { n: r.unread })),
          'Notification' in window && Notification.permission === 'default' ? h('button', { type: 'button', id: 'inbox-desktop', onclick: async e => {
            const p = await Notification.requestPermission(); if (p !== 'default') e.target.remove(); toast(t(p === 'granted' ? 'inbox.desktop.on' : 'inbox.desktop.off'));
          } }, t('inbox.desktop')) : null,
          r.unread ? h('button', { type: 'button', id: 'read-all', onclick: async () => {
            try { const m = await api('POST', '/api/v1/inbox/read', { all: true }); toast(t('inbox.marked', { n: m.marked })); document.dispatchEvent(new Event('xiuhua:inbox')); await load(); }
            catch (e) { toast(errText(e)); }
          } }, t('inbox.readall')) : ''),
        section('inbox-overdue', t('inbox.overdue', { n: r.overdue.length }), r.overdue.map(due), t('inbox.none')),
        section('inbox-due', t('inbox.duesoon', { n: r.due.length }), r.due.map(due), t('inbox.none')),
        section('inbox-new', t('inbox.new'), r.new.map(line), t('inbox.empty')));
    } catch (e) { list.replaceChildren(h('p.err', null, errText(e))); }
  }
  main.replaceChildren(h('div.cols.inbox', null, h('section.panel', null, list), detail));
  await load();
}
