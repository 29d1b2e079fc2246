// 大屏令牌 (admin): the wall's screen tokens. A new one is shown once, as the
// /screen address that signs a wall's browser in; each can be revoked.
import { api, confirmDialog, errText, fmtTime, h, t, toast } from './lib.js';

export async function screensView() {
  const r = await api('GET', '/api/v1/admin/tokens');
  const wrap = h('div', { id: 'screens-view' });
  const reload = async () => wrap.replaceWith(await screensView());
  const name = h('input', { id: 'screen-name', size: 24, value: t('screens.name.default') });
  const msg = h('p.err', { role: 'alert' });
  const shown = h('div', { id: 'screen-created', 'aria-live': 'polite' });
  const form = h('form.panel', { id: 'screen-form', onsubmit: async e => {
    e.preventDefault();
    msg.textContent = '';
    try {
      const res = await api('POST', '/api/v1/admin/tokens', { scope: 'screen', name: name.value.trim() });
      const fresh = await screensView();
      const url = location.origin + res.url;
      fresh.querySelector('#screen-created').replaceChildren(h('section.panel.preview', null, h('h3', null, t('screens.created', { name: res.name })),
        h('p', null, t('screens.once')), h('p', null, h('a', { id: 'screen-url', href: url, target: '_blank', rel: 'noopener' }, url))));
      wrap.replaceWith(fresh);
      toast(t('admin.saved'));
    } catch (err) { msg.textContent = errText(err); }
  } }, h('h2', null, t('screens.new')), h('p.muted', null, t('screens.help')),
  h('div.actions', null, h('label', null, h('span', null, t('screens.name')), name)), msg, h('button.primary', { type: 'submit', id: 'screen-add' }, t('screens.add')));
  const list = r.tokens || [];
  wrap.append(form, shown, h('section.panel', null, h('h2', null, t('screens.n', { n: list.filter(x => !x.revoked_at).length })),
    list.length ? h('table', { id: 'screens' }, h('tr', null, h('th', null, '#'), h('th', null, t('screens.name')), h('th', null, t('screens.by')), h('th', null, t('screens.made')), h('th', null, t('screens.state')), h('th', null, '')),
      list.map(x => h('tr', { 'data-token': x.id }, h('td', null, String(x.id)), h('td', null, x.name), h('td', null, x.username), h('td', null, fmtTime(x.created_at)),
        h('td', null, x.revoked_at ? t('screens.revoked', { at: fmtTime(x.revoked_at) }) : t('screens.live')),
        h('td', null, x.revoked_at ? '' : h('button', { type: 'button', 'data-revoke': x.id, onclick: async () => {
          if (!await confirmDialog(t('screens.revoke.q', { name: x.name }), t('screens.revoke.detail'), t('screens.revoke'))) return;
          try { await api('DELETE', `/api/v1/admin/tokens/${x.id}`); toast(t('screens.revoked.toast', { name: x.name })); await reload(); } catch (err) { toast(errText(err)); }
        } }, t('screens.revoke'))))))
      : h('p.muted', null, t('screens.none'))));
  return wrap;
}
