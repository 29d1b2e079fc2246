// Admin pages: users and units, the grid layer (GeoJSON import with a
// check first), the ledger import (a district's spreadsheets and 12345
// exports, checked first, each refused cell told by line and column), the catalog with its time limits, the dispatch table with
// its dry run, the calendar and the webhooks. Writes are for administrators;
// dispatchers see the dispatch table and its dry run, and the notification
// rules. Administrators also keep the units' group robots (secrets written,
// never shown) and read the record of every send. Every delete, pause
// or deactivation asks first (confirmDialog).
import { api, catalog, confirmDialog, contactsForm, errText, fieldName, fill, fmtTime, h, lang, problemText, sendsTable, t, toast } from './lib.js';
import { units } from './casepanel.js';
import { rulesView } from './rules.js';
import { devicesView } from './devices.js';
import { screensView } from './screens.js';

const sections = ['dispatch', 'users', 'grids', 'ledger', 'catalog', 'calendar', 'webhooks', 'notify', 'robots', 'sends', 'devices', 'screens'];
const roles = ['grid_worker', 'operator', 'dispatcher', 'handler', 'leader', 'admin'];
const steps = ['register', 'dispatch', 'contact', 'handle', 'arbitrate', 'rework', 'check', 'close', 'callback', 'review', 'reply'];
const limitUnits = ['working_days', 'working_hours', 'hours', 'minutes'];

export async function render(main, me) {
  const box = h('div', { id: 'admin-body' });
  const bar = h('div.tabs', { role: 'tablist' }, sections.filter(s => me.role === 'admin' || s === 'dispatch' || s === 'catalog' || s === 'notify').map(s =>
    h('button', { type: 'button', role: 'tab', 'data-section': s, onclick: e => { bar.querySelectorAll('button').forEach(b => b.classList.toggle('on', b === e.currentTarget)); show(s); } }, t(`admin.tab.${s}`))));
  const banner = h('div', { id: 'admin-banner' });
  // On a phone a wide table scrolls inside its panel: one that does is
  // focusable, so the keyboard can scroll it too.
  new MutationObserver(() => {
    for (const tb of box.querySelectorAll('table:not([tabindex])')) if (tb.scrollWidth > tb.clientWidth) tb.tabIndex = 0;
  }).observe(box, { childList: true, subtree: true });
  main.replaceChildren(h('h1', null, t('nav.admin')), banner, bar, box);
  if (me.role === 'admin') {
    api('GET', '/api/v1/admin/holidays').then(r => {
      const y = r.missing_years || [];
      if (y.length) banner.replaceChildren(h('p.err.banner', { role: 'alert' }, t('admin.calendar.missing', { y: y.join('、') }), ' ',
        h('button.link', { type: 'button', onclick: () => bar.querySelector('[data-section=calendar]').click() }, t('admin.holidays.go'))));
    }).catch(() => {});
  }
  // The tab chosen last is the one drawn: a slower answer for an earlier
  // tab (the first one, still loading when a tab is clicked) is dropped.
  let wanted = '';
  async function show(s) {
    wanted = s;
    box.replaceChildren(h('p.muted', null, t('app.loading')));
    let view;
    try { view = await views[s](me); } catch (e) { view = h('p.err', null, errText(e)); }
    if (wanted === s) box.replaceChildren(view);
  }
  bar.firstChild.classList.add('on');
  await show(sections[0]);
}


// questionEditor edits a category's questions as a table: each row a
// question (its key, words, kind of answer, whether required, the choices
// of a list as key=名称 separated by ；), saved whole.
function questionEditor(box, c, saved) {
  const kinds = ['number', 'singlevaluelist', 'multivaluelist', 'string', 'text', 'datetime'];
  const rows = h('tbody');
  const msg = h('p.err', { role: 'alert', id: 'q-err' });
  const row = (q = { code: '', question: '', datatype: 'number', required: false, values: [] }) => {
    const tr = h('tr', { 'data-q-row': '' },
      h('td', null, h('input', { 'data-f': 'code', value: q.code, size: 10, placeholder: 'stalls', 'aria-label': t('admin.q.code') })),
      h('td', null, h('input', { 'data-f': 'question', value: q.question, size: 14, maxlength: 60, placeholder: '摊位数', 'aria-label': t('admin.q.question') })),
      h('td', null, h('select', { 'data-f': 'datatype', 'aria-label': t('admin.q.datatype') }, kinds.map(k => h('option', { value: k, selected: k === q.datatype || undefined }, t(`admin.q.type.${k}`))))),
      h('td', null, h('input', { type: 'checkbox', 'data-f': 'required', checked: q.required || undefined, 'aria-label': t('admin.q.required') })),
      h('td', null, h('input', { 'data-f': 'values', size: 24, value: (q.values || []).map(v => `${v.key}=${v.name}`).join('；'), placeholder: 'food=餐饮；produce=果蔬', 'aria-label': t('admin.q.values') })),
      h('td.num', null, h('input.bound', { type: 'number', step: 'any', 'data-f': 'min', value: q.min ?? '', 'aria-label': t('admin.q.min') }), ' – ',
        h('input.bound', { type: 'number', step: 'any', 'data-f': 'max', value: q.max ?? '', 'aria-label': t('admin.q.max') })),
      h('td', null, h('button.link', { type: 'button', onclick: () => tr.remove() }, t('admin.delete'))));
    rows.append(tr);
  };
  for (const q of c.attributes || []) row(q);
  const save = async () => {
    msg.textContent = '';
    const attributes = [...rows.querySelectorAll('[data-q-row]')].map(tr => {
      const f = k => tr.querySelector(`[data-f=${k}]`);
      const values = f('values').value.split(/[；;]/).map(s => s.trim()).filter(Boolean).map(s => { const [key, ...name] = s.split('='); return { key: key.trim(), name: name.join('=').trim() }; });
      const num = k => f(k).value.trim() === '' ? undefined : Number(f(k).value);
      return { code: f('code').value.trim(), question: f('question').value.trim(), datatype: f('datatype').value, required: f('required').checked, values: values.length ? values : undefined, min: num('min'), max: num('max') };
    });
    try {
      await api('PUT', `/api/v1/admin/categories/${encodeURIComponent(c.id)}`, { attributes });
      toast(t('admin.saved')); await saved();
    } catch (e) { msg.textContent = errText(e); }
  };
  fill(box, h('section.panel', { id: 'questions-panel' }, h('h2', null, t('admin.q.title', { name: c.name })), h('p.muted', null, t('admin.q.help')),
    h('div.scroll', null, h('table', null, h('thead', null, h('tr', null, ['code', 'question', 'datatype', 'required', 'values', 'range'].map(k => h('th', null, t(`admin.q.${k}`))), h('th', null, ''))), rows)),
    h('div.actions', null, h('button', { type: 'button', id: 'q-add', onclick: () => row() }, t('admin.q.add')), h('button.primary', { type: 'button', id: 'q-save', onclick: save }, t('admin.q.save')),
      h('button', { type: 'button', onclick: () => box.replaceChildren() }, t('cancel'))), msg));
}

// names of the catalog for a scope or a rule's category: * is all, a
// three-letter prefix a major class, else a category.
function scopeName(cat, scope) {
  if (!scope || scope === '*') return t('admin.scope.all');
  if (scope.length === 3) {
    const c = cat.list.find(x => x.id.startsWith(scope));
    return c ? `${c.class}（${t('admin.scope.class')}）` : scope;
  }
  const c = cat.byId.get(scope);
  return c ? c.name : scope;
}

// scopeOptions lists every scope a limit or a rule may name, by its name
// with the code after it, for a datalist; parseScope reads one back (the
// code, or a name typed in full).
function scopeOptions(cat, id) {
  const classes = new Map();
  for (const c of cat.list) if (!classes.has(c.id.slice(0, 3))) classes.set(c.id.slice(0, 3), c.class);
  return h('datalist', { id }, h('option', { value: `${t('admin.scope.all')} *` }),
    [...classes].map(([k, n]) => h('option', { value: `${n}（${t('admin.scope.class')}） ${k}` })),
    cat.list.map(c => h('option', { value: `${c.name} ${c.id}` })));
}
function parseScope(cat, text) {
  const v = text.trim();
  const m = /(?:^|\s)([CM]\d{5}|[CM]\d{2}|\*)$/.exec(v);
  if (m) return m[1];
  if (v === t('admin.scope.all')) return '*';
  const c = cat.list.find(x => x.name === v);
  if (c) return c.id;
  const k = cat.list.find(x => x.class === v);
  return k ? k.id.slice(0, 3) : v;
}
const scopeText = (cat, scope) => `${scopeName(cat, scope)} ${scope || '*'}`;

// topicName says a webhook topic in words: case.register is 立案.
function topicName(topic) {
  const [kind, what] = topic.split('.');
  if (kind === 'case' && what) { const s = t(`action.${what}`); return s === `action.${what}` ? topic : s; }
  const s = t(`admin.topic.${topic}`);
  return s === `admin.topic.${topic}` ? '' : s;
}

// holidayRows lists the years with a holiday file, newest first: this
// year, the next and imported ones each on a row, older built-in years on
// one.
function holidayRows(hol, imported) {
  const now = new Date().getFullYear();
  const years = (hol.years || []).slice().sort((a, b) => b - a);
  const recent = years.filter(y => y >= now - 1 || imported.has(y)), old = years.filter(y => y < now - 1 && !imported.has(y));
  const rows = recent.map(y => {
    const f = imported.get(y);
    return h('tr', null, h('td', null, String(y)), h('td', null, f ? t('admin.holidays.imported', { by: f.imported_by, at: fmtTime(f.imported_at) }) : t('admin.holidays.builtin')));
  });
  if (old.length) rows.push(h('tr', null, h('td', null, old.length > 1 ? `${old[old.length - 1]}–${old[0]}` : String(old[0])), h('td', null, t('admin.holidays.builtin'))));
  return rows;
}

const pageSize = 50;

const views = {
  // 摄像头与传感器: the camera and sensor registry with each one's false-alarm rate.
  devices: devicesView,
  // 大屏令牌: the command display's screen tokens.
  screens: screensView,
  async dispatch(me) {
    const [r, cat, us] = await Promise.all([api('GET', '/api/v1/dispatch-rules'), catalog(), units()]);
    const byCode = new Map(us.list.map(u => [u.code, u.name]));
    const name = code => byCode.get(code) || code;
    const streetOf = new Map((r.areas || []).filter(d => d.code.length === 9).map(d => [d.code, d.name]));
    const areas = new Map((r.areas || []).map(d => [d.code, d.code.length === 9 || !streetOf.has(d.parent_code) ? d.name : `${streetOf.get(d.parent_code)} · ${d.name}`]));
    const areaName = a => !a || a === '*' ? t('admin.area.all') : areas.get(a) || a;
    const lon = h('input', { id: 'dry-lon', value: '113.3000', size: 10 }), lat = h('input', { id: 'dry-lat', value: '40.0800', size: 10 });
    const catIn = h('input', { id: 'dry-category', value: scopeText(cat, 'M06011'), size: 24, list: 'rule-scopes' });
    const out = h('div', { id: 'dry-result' });
    const dry = h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      try {
        const d = await api('GET', `/api/v1/route?lon=${encodeURIComponent(lon.value)}&lat=${encodeURIComponent(lat.value)}&category=${encodeURIComponent(parseScope(cat, catIn.value))}`);
        out.replaceChildren(h('p', null, h('b', null, d.decision.lead.name), ' — ', d.decision.why),
          h('ol', null, (d.decision.matched || []).map(m => h('li', null, `#${m.id} ${scopeName(cat, m.category)} × ${areaName(m.area)} → ${name(m.lead)}`))));
      } catch (err) { out.replaceChildren(h('p.err', null, errText(err))); }
    } }, h('h2', null, t('admin.dryrun')), h('div.actions', null, h('label', null, h('span', null, t('field.lon')), lon), h('label', null, h('span', null, t('field.lat')), lat),
      h('label', null, h('span', null, t('case.category')), catIn)),
    h('button.primary', { type: 'submit' }, t('admin.dryrun.go')), out);
    const isAdmin = me.role === 'admin';
    const reload = async box => box.replaceWith(await views.dispatch(me));
    // Areas by name: the district, each street and its communities.
    const streets = (r.areas || []).filter(d => d.code.length === 9);
    const area = h('select', { id: 'rule-area' }, h('option', { value: '*' }, t('admin.area.all')),
      streets.map(st => h('optgroup', { label: st.name }, h('option', { value: st.code }, st.name),
        (r.areas || []).filter(d => d.parent_code === st.code).map(d => h('option', { value: d.code }, `${st.name} · ${d.name}`)))));
    const f = { category: h('input', { id: 'rule-category', list: 'rule-scopes', required: true, size: 28, placeholder: t('admin.rule.category.ph') }), area,
      ownership: h('select', { id: 'rule-ownership' }, h('option', { value: '' }, t('admin.rule.ownership.any')), h('option', { value: 'property' }, t('admin.rule.ownership.property'))),
      lead: h('select', { id: 'rule-lead' }, us.list.filter(u => u.kind !== 'leadership' && u.kind !== 'centre').map(u => h('option', { value: u.code }, u.name))),
      assist: h('select', { id: 'rule-assist' }, h('option', { value: '' }, t('admin.rule.assist.none')), us.list.filter(u => u.kind !== 'leadership' && u.kind !== 'centre').map(u => h('option', { value: u.code }, u.name))),
      note: h('input', { id: 'rule-note', maxlength: 100 }) };
    const msg = h('p.err', { role: 'alert' });
    const wrap = h('div');
    const add = isAdmin ? h('form.panel', { id: 'rule-form', onsubmit: async e => {
      e.preventDefault();
      msg.textContent = '';
      const sc = parseScope(cat, f.category.value);
      if (!(sc === '*' || cat.byId.has(sc) || (sc.length === 3 && cat.list.some(c => c.id.startsWith(sc))))) {
        msg.textContent = t('admin.rule.pick'); f.category.focus(); return;
      }
      try {
        await api('POST', '/api/v1/admin/dispatch-rules', { category: parseScope(cat, f.category.value), area: f.area.value, ownership: f.ownership.value, lead: f.lead.value, assist: f.assist.value ? [f.assist.value] : [], note: f.note.value.trim() });
        toast(t('admin.saved')); await reload(wrap);
      } catch (err) { msg.textContent = errText(err); }
    } }, h('h2', null, t('admin.rule.new')), h('div.actions', null, Object.entries(f).map(([k, el]) => h('label', null, h('span', null, t(`admin.rule.${k}`)), el))), msg,
    h('button.primary', { type: 'submit' }, t('admin.rule.add'))) : null;
    const ruleText = x => `${scopeName(cat, x.category)} × ${areaName(x.area)} → ${name(x.lead)}`;
    const del = x => isAdmin ? h('button.link', { type: 'button', 'data-delete-rule': x.id, onclick: async () => {
      if (!await confirmDialog(t('admin.rule.delete.q', { id: x.id }), ruleText(x), t('admin.delete'))) return;
      try { await api('DELETE', `/api/v1/admin/dispatch-rules/${x.id}`); toast(t('admin.rule.deleted', { id: x.id })); await reload(wrap); } catch (err) { toast(errText(err)); }
    } }, t('admin.delete')) : '';
    const code = c => h('span.muted.code', null, c);
    wrap.append(scopeOptions(cat, 'rule-scopes'), dry, add || '', h('section.panel', null, h('h2', null, t('admin.rules', { n: r.rules.length })), h('table', { id: 'rules' },
      h('tr', null, h('th', null, '#'), h('th', null, t('admin.rule.category')), h('th', null, t('admin.rule.area')), h('th', null, t('admin.rule.lead')), h('th', null, t('admin.rule.assist')), h('th', null, t('admin.rule.note')), h('th', null, '')),
      r.rules.slice(0, 500).map(x => h('tr', { 'data-rule': x.id }, h('td', null, String(x.id)),
        h('td', null, scopeName(cat, x.category), ' ', code(x.category || '*')),
        h('td', null, areaName(x.area), x.area && x.area !== '*' ? [' ', code(x.area)] : '', x.ownership ? ` (${t(`admin.rule.ownership.${x.ownership}`) === `admin.rule.ownership.${x.ownership}` ? x.ownership : t(`admin.rule.ownership.${x.ownership}`)})` : ''),
        h('td', null, name(x.lead)), h('td', null, (x.assist || []).map(name).join('、')), h('td', null, x.note || ''), h('td', null, del(x))))),
      r.rules.length > 500 ? h('p.muted', null, t('admin.moves.more', { n: r.rules.length - 500 })) : ''));
    return wrap;
  },
  async users(me) {
    const us = await units();
    const unitOf = new Map(us.list.map(u => [u.code, u]));
    const wrap = h('div', null);
    // The accounts: searched and paged on the server.
    const q = h('input', { id: 'user-q', type: 'search', size: 24, placeholder: t('admin.users.q'), 'aria-label': t('admin.users.q') });
    const role = h('select', { id: 'user-role', 'aria-label': t('admin.user.role') }, h('option', { value: '' }, t('admin.users.anyrole')), roles.map(x => h('option', { value: x }, t(`role.${x}`))));
    const unit = h('select', { id: 'user-unit', 'aria-label': t('admin.user.unit') }, h('option', { value: '' }, t('admin.users.anyunit')), us.list.map(u => h('option', { value: u.code }, u.name)));
    const list = h('div', { id: 'users-list' });
    let offset = 0;
    const load = async () => {
      const params = new URLSearchParams({ offset: String(offset), limit: String(pageSize) });
      // A role typed in words (网格员) is the role filter, not text.
      const asRole = roles.find(x => t(`role.${x}`) === q.value.trim());
      if (asRole) { role.value = asRole; q.value = ''; }
      if (q.value.trim()) params.set('q', q.value.trim());
      if (role.value) params.set('role', role.value);
      if (unit.value) params.set('unit', unit.value);
      let r;
      try { r = await api('GET', `/api/v1/admin/users?${params}`); } catch (err) { list.replaceChildren(h('p.err', { role: 'alert' }, errText(err))); return; }
      const pager = top => h('div.actions.pager', null,
        h('span', { id: top ? 'users-range' : null }, r.total ? t('admin.users.range', { from: r.offset + 1, to: r.offset + r.users.length, n: r.total }) : t('admin.users.none')),
        h('button', { type: 'button', id: top ? 'users-prev' : null, disabled: r.offset === 0, onclick: () => { offset = Math.max(0, offset - pageSize); load(); } }, t('admin.users.prev')),
        h('button', { type: 'button', id: top ? 'users-next' : null, disabled: r.offset + r.users.length >= r.total, onclick: () => { offset += pageSize; load(); } }, t('admin.users.next')));
      list.replaceChildren(pager(true), h('table', { id: 'users', 'data-offset': r.offset },
        h('tr', null, h('th', null, t('admin.user.username')), h('th', null, t('admin.user.name')), h('th', null, t('admin.user.role')), h('th', null, t('admin.user.unit')), h('th', null, t('admin.user.state')), h('th', null, '')),
        r.users.map(u => {
          const un = unitOf.get(u.unit);
          return h('tr', { 'data-user': u.username }, h('td', null, u.username), h('td', null, u.name), h('td', null, t(`role.${u.role}`), (u.grids || []).length ? h('div.muted.code', { title: t('admin.user.grids') }, u.grids.join('、')) : ''),
            h('td', null, un ? un.name : u.unit, un ? h('div.muted', null, t(`admin.kind.${un.kind}`)) : ''),
            h('td', null, u.active ? t('admin.user.isactive') : h('span.late', null, t('admin.user.inactive'))), h('td', null, edit(u), ' ', toggle(u), ' ', reset(u), ' ', contacts(u)));
        })), r.users.length > 15 ? pager(false) : '');
    };
    const search = h('form.actions', { id: 'users-search', role: 'search', onsubmit: e => { e.preventDefault(); offset = 0; load(); } },
      q, role, unit, h('button.primary', { type: 'submit', id: 'users-go' }, t('admin.users.search')));
    role.addEventListener('change', () => { offset = 0; load(); });
    unit.addEventListener('change', () => { offset = 0; load(); });
    // Change an account in its row: name, role, unit and a grid worker's
    // grids; a new role, unit or grids signs the account out.
    const edit = u => h('button.link', { type: 'button', 'data-edit-user': u.username, onclick: e => {
      const tr = e.currentTarget.closest('tr');
      const name = h('input', { 'data-edit': 'name', value: u.name, maxlength: 50, size: 10, 'aria-label': t('admin.user.name') });
      const role = h('select', { 'data-edit': 'role', 'aria-label': t('admin.user.role') }, roles.map(x => h('option', { value: x, selected: x === u.role }, t(`role.${x}`))));
      const unit = h('select', { 'data-edit': 'unit', 'aria-label': t('admin.user.unit') }, us.list.map(x => h('option', { value: x.code, selected: x.code === u.unit }, x.name)));
      const grids = h('input', { 'data-edit': 'grids', value: (u.grids || []).join(','), size: 16, placeholder: t('admin.user.grids'), 'aria-label': t('admin.user.grids') });
      const err = h('div.err', { role: 'alert' });
      tr.replaceChildren(h('td', null, u.username), h('td', null, name), h('td', null, role, h('div', null, grids)), h('td', null, unit), h('td', null, ''),
        h('td', null, h('button.link', { type: 'button', 'data-save-user': u.username, onclick: async () => {
          const body = { role: role.value, unit: unit.value, grids: role.value === 'grid_worker' ? grids.value.split(/[,，\s]+/).filter(Boolean) : [] };
          if (name.value.trim()) body.name = name.value.trim();
          try {
            await api('PATCH', `/api/v1/admin/users/${encodeURIComponent(u.username)}`, body);
            toast(t('admin.user.saved', { user: u.username })); await load();
          } catch (x) { err.textContent = errText(x); }
        } }, t('admin.user.save')), ' ', h('button.link', { type: 'button', onclick: () => load() }, t('cancel')), err));
      name.focus();
    } }, t('admin.user.edit'));
    // How an account is reached: phone, e-mail, language, channels and
    // whether it is its unit's liaison (联络员), edited below the list.
    const contactsBox = h('div', { id: 'contacts-box' });
    const contacts = u => h('button.link', { type: 'button', 'data-contacts-user': u.username, onclick: async () => {
      let c;
      try { c = await api('GET', `/api/v1/admin/users/${encodeURIComponent(u.username)}/contacts`); } catch (err) { toast(errText(err)); return; }
      contactsBox.replaceChildren(contactsForm(c, `/api/v1/admin/users/${encodeURIComponent(u.username)}/contacts`, t('contacts.of', { user: `${u.name}（${u.username}）` }), true,
        () => contactsBox.replaceChildren()));
      contactsBox.scrollIntoView({ block: 'nearest' });
      contactsBox.querySelector('input').focus();
    } }, t('contacts.edit'));
    const toggle = u => u.username === me.username ? '' : h('button.link', { type: 'button', 'data-toggle-user': u.username, onclick: async () => {
      if (u.active && !await confirmDialog(t('admin.user.deactivate.q', { user: `${u.name}（${u.username}）` }), t('admin.user.deactivate.detail'), t('admin.user.deactivate'))) return;
      try {
        await api('PATCH', `/api/v1/admin/users/${encodeURIComponent(u.username)}`, { active: !u.active });
        toast(t(u.active ? 'admin.user.deactivated' : 'admin.user.activated')); await load();
      } catch (err) { toast(errText(err)); }
    } }, t(u.active ? 'admin.user.deactivate' : 'admin.user.activate'));
    // Reset a password in the row: a password field (not a prompt, which
    // would show it) and a button; the account's sessions and tokens end.
    const reset = u => {
      const cell = h('span', null);
      const open = h('button.link', { type: 'button', 'data-reset-user': u.username, onclick: () => {
        const pw = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10, 'data-reset-password': u.username,
          placeholder: t('admin.user.reset.placeholder'), 'aria-label': t('admin.user.reset.placeholder') });
        const ok = h('button.link', { type: 'button', 'data-reset-submit': u.username, onclick: async () => {
          try {
            await api('PATCH', `/api/v1/admin/users/${encodeURIComponent(u.username)}`, { password: pw.value });
            toast(t('admin.user.reset.done', { user: u.username }));
            cell.replaceChildren(open);
          } catch (err) { toast(errText(err)); }
        } }, t('admin.user.reset.set'));
        cell.replaceChildren(pw, ' ', ok, ' ', h('button.link', { type: 'button', onclick: () => cell.replaceChildren(open) }, t('cancel')));
        pw.focus();
      } }, t('admin.user.reset'));
      cell.append(open);
      return cell;
    };
    const f = { username: h('input', { id: 'new-username', required: true }), name: h('input', { id: 'new-name' }),
      role: h('select', { id: 'new-role' }, roles.map(x => h('option', { value: x }, t(`role.${x}`)))),
      unit: h('select', { id: 'new-unit' }, us.list.map(u => h('option', { value: u.code }, u.name))),
      grids: h('input', { id: 'new-grids', placeholder: '14021305300101' }), password: h('input', { id: 'new-password', type: 'password', minlength: 10, required: true, autocomplete: 'new-password' }) };
    const msg = h('p.err', { role: 'alert' });
    const form = h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      msg.textContent = '';
      try {
        await api('POST', '/api/v1/admin/users', { username: f.username.value.trim(), name: f.name.value.trim(), role: f.role.value, unit: f.unit.value,
          grids: f.grids.value.split(/[,，\s]+/).filter(Boolean), password: f.password.value });
        toast(t('admin.user.created')); q.value = f.username.value.trim(); role.value = ''; unit.value = ''; offset = 0; form.reset(); await load();
      } catch (err) { msg.textContent = errText(err); }
    } }, h('h2', null, t('admin.user.new')), h('div.actions', null, Object.entries(f).map(([k, el]) => h('label', null, h('span', null, t(`admin.user.${k}`)), el))), msg,
    h('button.primary', { type: 'submit' }, t('admin.user.create')));
    const uf = { code: h('input', { id: 'unit-code', required: true, placeholder: 'scjg' }), name: h('input', { id: 'unit-name', required: true }),
      kind: h('select', { id: 'unit-kind' }, ['department', 'street', 'community', 'property', 'centre', 'leadership'].map(k => h('option', { value: k }, t(`admin.kind.${k}`)))),
      street: h('input', { id: 'unit-street', placeholder: '140213053' }) };
    const umsg = h('p.err', { role: 'alert' });
    const unitForm = h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      try {
        await api('POST', '/api/v1/admin/units', { code: uf.code.value.trim(), name: uf.name.value.trim(), kind: uf.kind.value, street: uf.street.value.trim() });
        toast(t('admin.saved')); location.reload();
      } catch (err) { umsg.textContent = errText(err); }
    } }, h('h2', null, t('admin.unit.new')), h('div.actions', null, Object.entries(uf).map(([k, el]) => h('label', null, h('span', null, t(`admin.unit.${k}`)), el))), umsg,
    h('button.primary', { type: 'submit' }, t('admin.unit.create')));
    wrap.append(h('section.panel', null, h('h2', null, t('admin.tab.users')), search, list), contactsBox, form, unitForm);
    await load();
    return wrap;
  },
  // The ledger import: the template, a check that lists each refused cell
  // by line and column in words, then the import, all or nothing.
  async ledger() {
    const cat = await catalog();
    const catName = id => (cat.byId.get(id) || {}).name || id;
    const file = h('input', { type: 'file', id: 'ledger-file', accept: '.xlsx,.csv' });
    const out = h('div', { id: 'ledger-result', 'aria-live': 'polite' });
    const send = async dry => {
      const f = file.files[0];
      if (!f) { out.replaceChildren(h('p.err', null, t('admin.ledger.pick'))); return; }
      if (!dry && !await confirmDialog(t('admin.ledger.import.q'), t('admin.ledger.import.detail', { f: f.name }), t('admin.ledger.import'))) return;
      try {
        const r = await api('POST', `/api/v1/admin/ledger?name=${encodeURIComponent(f.name)}${dry ? '&dry_run=true' : ''}`, f);
        if (!dry) { toast(t('admin.ledger.done', { n: r.imported })); out.replaceChildren(h('p', { id: 'ledger-done' }, t('admin.ledger.done', { n: r.imported }))); file.value = ''; return; }
        out.replaceChildren(h('div.queue-note', { id: 'ledger-preview' }, h('p', null, t('admin.ledger.ok', { n: r.rows })),
          h('div.scroll', null, h('table', null, h('thead', null, h('tr', null, ['line', 'number', 'category', 'reported', 'type'].map(k => h('th', null, t(`admin.ledger.col.${k}`))))),
            h('tbody', null, (r.sample || []).map(x => h('tr', null, h('td.num', null, x.Line), h('td', null, x.Number), h('td', null, catName(x.Category)),
              h('td.num', null, fmtTime(x.ReportedAt)), h('td', null, x.intake ? t(`rtype.${x.intake.type}`) : t(`channel.${x.channel}`))))))),
          h('button.primary', { type: 'button', id: 'ledger-import', onclick: () => send(false) }, t('admin.ledger.import.n', { n: r.rows }))));
      } catch (e) {
        const list = (e.problem && e.problem.errors) || [];
        out.replaceChildren(h('div.err', { id: 'ledger-errors', role: 'alert' }, h('p', null, list.length ? t('admin.ledger.bad', { n: list.length }) : errText(e)),
          h('ul', null, list.slice(0, 100).map(x => h('li', { 'data-line': x.line, 'data-field': x.field },
            t('admin.ledger.line', { line: x.line, column: x.column || fieldName(x.field) }), problemText(x))))));
      }
    };
    return h('section.panel', null, h('h2', null, t('admin.ledger')), h('p.muted', null, t('admin.ledger.help')),
      h('p', null, h('a', { href: '/api/v1/admin/ledger/template?format=xlsx', id: 'ledger-template', download: '' }, t('admin.ledger.template')), ' · ',
        h('a', { href: '/api/v1/admin/ledger/template?format=csv', download: '' }, t('admin.ledger.template.csv'))),
      h('label', null, h('span', null, t('admin.ledger.file')), file),
      h('div.actions', null, h('button', { type: 'button', id: 'ledger-check', onclick: () => send(true) }, t('admin.ledger.check'))), out);
  },
  async grids() {
    const file = h('input', { type: 'file', id: 'grids-file', accept: '.geojson,.json,application/geo+json' });
    const from = h('input', { type: 'date', id: 'grids-from' });
    const out = h('div', { id: 'grids-result' });
    const send = async dry => {
      if (!file.files[0]) { out.replaceChildren(h('p.err', null, t('admin.grids.pick'))); return; }
      if (!dry && !await confirmDialog(t('admin.grids.import.q'), t('admin.grids.import.detail', { f: file.files[0].name, d: from.value || t('admin.grids.now') }), t('admin.grids.import'))) return;
      try {
        const r = await api('POST', `/api/v1/admin/grids?dry_run=${dry}${from.value ? '&from=' + from.value : ''}`, file.files[0]);
        out.replaceChildren(h('p', null, t(dry ? 'admin.grids.ok' : 'admin.grids.done', { g: r.grids, u: r.unit_grids })));
      } catch (e) { out.replaceChildren(h('pre.err', { style: 'white-space:pre-wrap' }, errText(e))); }
    };
    return h('section.panel', null, h('h2', null, t('admin.grids')), h('p.muted', null, t('admin.grids.help')),
      h('label', null, h('span', null, t('admin.grids.file')), file), h('label', null, h('span', null, t('admin.grids.from')), from),
      h('div.actions', null, h('button', { type: 'button', onclick: () => send(true) }, t('admin.grids.check')), h('button.primary', { type: 'button', onclick: () => send(false) }, t('admin.grids.import'))), out,
      h('p', null, h('a', { href: '/api/v1/places/map' }, t('admin.grids.current'))));
  },
  async catalog(me, fresh) {
    const cat = await catalog(fresh);
    const isAdmin = me.role === 'admin';
    const limits = isAdmin ? (await api('GET', '/api/v1/admin/time-limits')).limits : [];
    const cf = { id: h('input', { id: 'cat-id', required: true, placeholder: 'M90001', pattern: '[CM][0-9]{5}' }), name: h('input', { id: 'cat-name' }),
      major_class: h('input', { id: 'cat-class', placeholder: '地方事项' }), dept_hint: h('input', { id: 'cat-dept' }),
      public: h('input', { id: 'cat-public', type: 'checkbox', checked: true }) };
    const cmsg = h('p.err', { role: 'alert' });
    const catForm = isAdmin ? h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      const body = { public: cf.public.checked };
      for (const k of ['name', 'major_class', 'dept_hint']) if (cf[k].value.trim()) body[k] = cf[k].value.trim();
      try {
        await api('PUT', `/api/v1/admin/categories/${encodeURIComponent(cf.id.value.trim())}`, body);
        toast(t('admin.saved')); view.replaceWith(await views.catalog(me, true));
      } catch (err) { cmsg.textContent = errText(err); }
    } }, h('h2', null, t('admin.cat.edit')), h('p.muted', null, t('admin.cat.help')),
    h('div.actions', null, Object.entries(cf).map(([k, el]) => h('label', null, h('span', null, t(`admin.cat.${k}`)), el))), cmsg,
    h('button.primary', { type: 'submit' }, t('admin.cat.save'))) : null;
    const qBox = h('div', { id: 'questions-editor' });
    const view = h('div', null, catForm, isAdmin ? limitTable(cat, limits) : null, qBox,
      h('section.panel', null, h('h2', null, t('admin.catalog', { n: cat.list.length })), h('div.scroll', null, h('table', null,
        h('tr', null, h('th', null, t('admin.cat.id')), h('th', null, t('admin.cat.major_class')), h('th', null, t('case.category')), h('th', null, t('admin.public')), h('th', null, t('admin.q'))),
        cat.list.map(c => h('tr', { 'data-category': c.id }, h('td', null, c.id), h('td', null, c.class), h('td', null, c.name), h('td', null, c.public ? t('yes') : ''),
          h('td', null, (c.attributes || []).length ? t('admin.q.n', { n: c.attributes.length }) : '',
            isAdmin ? [' ', h('button.link', { type: 'button', 'data-questions': c.id, onclick: () => { questionEditor(qBox, c, async () => view.replaceWith(await views.catalog(me, true))); qBox.scrollIntoView(); } }, t('admin.q.edit'))] : '')))))));
    return view;
  },
  async calendar() {
    const [r, hol] = await Promise.all([api('GET', '/api/v1/admin/calendar'), api('GET', '/api/v1/admin/holidays')]);
    const wrap = h('div', { id: 'calendar-view' });
    const reload = async () => wrap.replaceWith(await views.calendar());
    // A change first says which running deadlines it moves; a second
    // click puts it in force.
    const calPreview = h('div', { id: 'cal-preview', 'aria-live': 'polite' }), holPreview = h('div', { id: 'hol-preview', 'aria-live': 'polite' });
    const showMoves = (preview, res, title, commit) => {
      (preview === calPreview ? holPreview : calPreview).replaceChildren();
      const moves = res.moves || [];
      const rows = moves.flatMap(m => m.retimes.map(x => h('tr', null, h('td', null, m.number),
        h('td', null, x.task_id ? t('admin.moves.task') : t('admin.moves.case')), h('td', null, fmtTime(x.from)), h('td', null, '→ ' + fmtTime(x.to)))));
      preview.replaceChildren(h('section.panel.preview', null, h('h3', null, title),
        h('p', null, moves.length ? t('admin.moves.n', { n: moves.length }) : t('admin.moves.none')),
        rows.length ? h('table', null, h('tr', null, h('th', null, t('case.number')), h('th', null, ''), h('th', null, t('admin.moves.from')), h('th', null, t('admin.moves.to'))), rows.slice(0, 200)) : '',
        rows.length > 200 ? h('p.muted', null, t('admin.moves.more', { n: rows.length - 200 })) : '',
        h('div.actions', null, h('button.primary', { type: 'button', id: 'cal-confirm', onclick: async () => {
          try { await commit(); toast(t('admin.saved')); await reload(); } catch (err) { preview.replaceChildren(h('p.err', { role: 'alert' }, errText(err))); }
        } }, t('admin.moves.apply')), h('button.link', { type: 'button', onclick: () => preview.replaceChildren() }, t('cancel')))));
    };
    const day = h('input', { type: 'date', id: 'cal-day', required: true });
    const working = h('select', { id: 'cal-working' }, h('option', { value: 'false' }, t('admin.dayoff')), h('option', { value: 'true' }, t('admin.working')));
    const note = h('input', { id: 'cal-note', maxlength: 100 });
    const msg = h('p.err', { role: 'alert' });
    const form = h('form.form', { onsubmit: async e => {
      e.preventDefault();
      msg.textContent = '';
      const body = { working: working.value === 'true', note: note.value.trim() }, path = `/api/v1/admin/calendar/${day.value}`;
      try {
        const res = await api('PUT', path + '?dry_run=true', body);
        showMoves(calPreview, res.change, t('admin.day.preview', { d: day.value, k: body.working ? t('admin.working') : t('admin.dayoff') }), () => api('PUT', path, body));
      } catch (err) { msg.textContent = errText(err); }
    } }, h('div.actions', null, h('label', null, h('span', null, t('admin.day')), day), h('label', null, h('span', null, t('admin.day.kind')), working),
      h('label', null, h('span', null, t('field.note')), note)), msg, h('button.primary', { type: 'submit', id: 'cal-check' }, t('admin.preview')));
    const days = h('table', { id: 'cal-days' }, h('tr', null, h('th', null, t('admin.day')), h('th', null, t('admin.day.kind')), h('th', null, t('field.note')), h('th', null, '')),
      (r.days || []).map(d => h('tr', null, h('td', null, d.day), h('td', null, d.working ? t('admin.working') : t('admin.dayoff')), h('td', null, d.note || ''),
        h('td', null, h('button.link', { type: 'button', onclick: async () => {
          const path = `/api/v1/admin/calendar/${d.day}`;
          try { const res = await api('DELETE', path + '?dry_run=true'); showMoves(calPreview, res.change, t('admin.day.unset', { d: d.day }), () => api('DELETE', path)); }
          catch (err) { toast(errText(err)); }
        } }, t('admin.delete'))))));
    // The State Council's holiday files: the years in force, and a new
    // year's file checked before it is put in force.
    const imported = new Map((hol.imported || []).map(f => [f.year, f]));
    const file = h('input', { type: 'file', id: 'hol-file', accept: '.json,application/json' });
    const holMsg = h('p.err', { role: 'alert' });
    const holForm = h('form.form', { onsubmit: async e => {
      e.preventDefault();
      holMsg.textContent = '';
      const f = file.files[0];
      if (!f) { holMsg.textContent = t('admin.grids.pick'); return; }
      try {
        const res = await api('POST', '/api/v1/admin/holidays?dry_run=true', f);
        showMoves(holPreview, res, t(res.replaces ? 'admin.holidays.replace' : 'admin.holidays.check', { y: res.year, n: res.days }), () => api('POST', '/api/v1/admin/holidays', f));
      } catch (err) { holMsg.textContent = errText(err); }
    } }, h('label', null, h('span', null, t('admin.holidays.file')), file), holMsg, h('button.primary', { type: 'submit', id: 'hol-check' }, t('admin.preview')));
    const missing = hol.missing_years || [];
    wrap.append(
      missing.length ? h('p.err.banner', { role: 'alert' }, t('admin.calendar.missing', { y: missing.join('、') })) : '',
      h('section.panel', null, h('h2', null, t('admin.holidays')), h('p.muted', null, t('admin.holidays.help')),
        h('table', { id: 'hol-years' }, h('tr', null, h('th', null, t('admin.holidays.year')), h('th', null, t('admin.holidays.source'))),
          holidayRows(hol, imported)), holForm, holPreview),
      h('section.panel', null, h('h2', null, t('admin.calendar')), h('p.muted', null, t('admin.calendar.help', { m: r.day_minutes })), form, calPreview, days));
    return wrap;
  },
  // 通知规则: who is told what (rules.js, also under 我的通知方式).
  async notify() { return rulesView(); },
  // 群机器人: each unit's DingTalk, WeCom and Feishu group robots. The
  // token and secret are written here and never shown again: the list says
  // only whether they are set.
  async robots() {
    const [r, us] = await Promise.all([api('GET', '/api/v1/admin/robots'), units()]);
    const wrap = h('div', { id: 'robots-view' });
    const reload = async () => wrap.replaceWith(await views.robots());
    const kinds = r.kinds || ['dingtalk', 'wecom', 'feishu'];
    const form = (b, done) => {
      const f = { unit: h('select', { 'data-robot': 'unit' }, us.list.filter(u => u.kind !== 'leadership').map(u => h('option', { value: u.code, selected: b && u.code === b.unit }, u.name))),
        kind: h('select', { 'data-robot': 'kind' }, kinds.map(k => h('option', { value: k, selected: b && k === b.kind }, t(`robot.kind.${k}`)))),
        name: h('input', { 'data-robot': 'name', required: true, maxlength: 40, size: 16, value: b ? b.name : '', placeholder: t('robot.name.ph') }),
        lang: h('select', { 'data-robot': 'lang' }, ['zh-CN', 'en'].map(l => h('option', { value: l, selected: b && l === b.lang }, t(`contacts.lang.${l}`)))),
        token: h('input', { 'data-robot': 'token', type: 'password', autocomplete: 'off', size: 24, placeholder: b && b.token_set ? t('robot.keep') : t('robot.token.ph') }),
        secret: h('input', { 'data-robot': 'secret', type: 'password', autocomplete: 'off', size: 24, placeholder: b && b.secret_set ? t('robot.keep') : t('robot.secret.ph') }) };
      const active = h('input', { type: 'checkbox', 'data-robot': 'active', checked: !b || b.active || undefined });
      const msg = h('p.err', { role: 'alert' });
      const el = h('form.panel', { id: b ? `robot-edit-${b.id}` : 'robot-form', onsubmit: async e => {
        e.preventDefault();
        msg.textContent = '';
        const body = { unit: f.unit.value, kind: f.kind.value, name: f.name.value.trim(), lang: f.lang.value, active: active.checked, token: f.token.value.trim(), secret: f.secret.value.trim() };
        try {
          await api(b ? 'PUT' : 'POST', b ? `/api/v1/admin/robots/${b.id}` : '/api/v1/admin/robots', body);
          toast(t('admin.saved')); await done();
        } catch (err) {
          // The token is the robot's webhook key here, not a mail's link.
          msg.textContent = err.problem && err.problem.field === 'token' ? `${t('err.http', { status: err.status })} ${t(`robot.err.token.${err.problem.code}`)}` : errText(err);
        }
      } }, h('h2', null, b ? t('robot.edit', { name: b.name }) : t('robot.new')), h('p.muted', null, t('robot.help')),
      h('div.actions', null, Object.entries(f).map(([k, x]) => h('label', null, h('span', null, t(`robot.${k}`)), x)), h('label', null, active, ' ', t('robot.active'))), msg,
      h('div.actions', null, h('button.primary', { type: 'submit', 'data-robot-save': b ? b.id : 'new' }, t(b ? 'admin.user.save' : 'robot.add')), b ? h('button', { type: 'button', onclick: () => el.remove() }, t('cancel')) : ''));
      return el;
    };
    const edits = h('div');
    const set = v => v ? h('span.ok', null, t('robot.set')) : h('span.muted', null, t('robot.unset'));
    const list = r.robots || [];
    wrap.append(form(null, reload), edits, h('section.panel', null, h('h2', null, t('robot.n', { n: list.length })),
      list.length ? h('div.scroll', null, h('table', { id: 'robots' }, h('tr', null, ['unit', 'kind', 'name', 'lang', 'token', 'secret', 'state'].map(k => h('th', null, t(`robot.${k}`))), h('th', null, '')),
        list.map(b => h('tr', { 'data-robot-row': b.id }, h('td', null, b.unit_name || b.unit), h('td', null, t(`robot.kind.${b.kind}`)), h('td', null, b.name),
          h('td', null, t(`contacts.lang.${b.lang}`)), h('td', { 'data-token-set': String(b.token_set) }, set(b.token_set)), h('td', null, set(b.secret_set)),
          h('td', null, b.active ? t('admin.hook.active') : h('span.late', null, t('robot.off'))),
          h('td', null, h('button.link', { type: 'button', 'data-edit-robot': b.id, onclick: () => { edits.replaceChildren(form(b, reload)); edits.querySelector('input').focus(); } }, t('admin.user.edit')), ' ',
            h('button.link', { type: 'button', 'data-toggle-robot': b.id, onclick: async () => {
              if (b.active && !await confirmDialog(t('robot.off.q', { name: b.name }), t('robot.off.detail'), t('robot.turnoff'))) return;
              try { await api('PUT', `/api/v1/admin/robots/${b.id}`, { unit: b.unit, kind: b.kind, name: b.name, lang: b.lang, active: !b.active }); toast(t('admin.saved')); await reload(); } catch (err) { toast(errText(err)); }
            } }, t(b.active ? 'robot.turnoff' : 'robot.turnon')), ' ',
            h('button.link', { type: 'button', 'data-delete-robot': b.id, onclick: async () => {
              if (!await confirmDialog(t('robot.delete.q', { name: b.name }), t('robot.delete.detail'), t('admin.delete'))) return;
              try { await api('DELETE', `/api/v1/admin/robots/${b.id}`); toast(t('robot.deleted', { name: b.name })); await reload(); } catch (err) { toast(errText(err)); }
            } }, t('admin.delete'))))))) : h('p.muted', null, t('robot.none'))));
    return wrap;
  },
  // 发送记录: the newest sends through SMS, e-mail and robots, counted by
  // state, so an administrator sees what failed and why.
  async sends(me, state = '') {
    const r = await api('GET', `/api/v1/admin/sends?limit=200&lang=${lang}${state ? `&state=${state}` : ''}`);
    const wrap = h('div', { id: 'sends-view' });
    const pick = h('select', { id: 'sends-state', 'aria-label': t('sends.state') }, ['', 'queued', 'sent', 'failed', 'skipped'].map(s => h('option', { value: s, selected: s === state }, s ? t(`sends.state.${s}`) : t('sends.all'))));
    pick.addEventListener('change', async () => wrap.replaceWith(await views.sends(me, pick.value)));
    const counts = r.counts || {};
    wrap.append(h('section.panel', null, h('h2', null, t('sends.title')),
      h('p', { id: 'sends-counts' }, ['queued', 'sent', 'failed', 'skipped'].map((s, i) => [i ? ' · ' : '', h(`span.sstate.${s}`, { 'data-count': s }, t(`sends.state.${s}`), ' ', String(counts[s] || 0))])),
      h('div.actions', null, pick), sendsTable(r.sends || [], true)));
    return wrap;
  },
  async webhooks() {
    const r = await api('GET', '/api/v1/admin/webhooks');
    const wrap = h('div', { id: 'webhooks-view' });
    const reload = async () => wrap.replaceWith(await views.webhooks());
    const url = h('input', { id: 'hook-url', type: 'url', required: true, size: 40, placeholder: 'https://sms.example.gov.cn/xiuhua' });
    const topics = h('input', { id: 'hook-topics', size: 30, value: '*', placeholder: 'case.*, deadline.warning' });
    const secret = h('input', { id: 'hook-secret', type: 'password', autocomplete: 'off', size: 24, minlength: 16, placeholder: t('admin.hook.secret.ph') });
    const msg = h('p.err', { role: 'alert' });
    const shown = h('div', { id: 'hook-created', 'aria-live': 'polite' });
    const form = h('form.panel', { id: 'hook-form', onsubmit: async e => {
      e.preventDefault();
      msg.textContent = '';
      try {
        const res = await api('POST', '/api/v1/admin/webhooks', { url: url.value.trim(), topics: topics.value.split(/[,，\s]+/).filter(Boolean), secret: secret.value });
        const fresh = await views.webhooks();
        // The secret, this once: the server keeps it but never shows it again.
        fresh.querySelector('#hook-created').replaceChildren(h('section.panel.preview', null, h('h3', null, t('admin.hook.created', { id: res.webhook.id })),
          h('p', null, t('admin.hook.secret.once')), h('p', null, h('code', { id: 'hook-secret-shown' }, res.secret)),
          h('p.muted', null, t('admin.hook.signature')), h('code.muted', null, res.signature)));
        wrap.replaceWith(fresh);
        toast(t('admin.saved'));
      } catch (err) { msg.textContent = errText(err); }
    } }, h('h2', null, t('admin.hook.new')), h('p.muted', null, t('admin.webhooks.help')),
    h('div.actions', null, h('label', null, h('span', null, t('admin.hook.url')), url), h('label', null, h('span', null, t('admin.topics')), topics),
      h('label', null, h('span', null, t('admin.hook.secret')), secret)), h('p.muted', { style: 'font-size:.85rem;margin:.2rem 0' }, t('admin.hook.topics.help')),
    msg, h('button.primary', { type: 'submit', id: 'hook-add' }, t('admin.hook.add')));
    const deliveries = h('div', { id: 'hook-deliveries' });
    // waiting says how many of a webhook's deliveries wait and are parked;
    // the list's cells follow each look at the deliveries.
    const waiting = x => x.pending || x.parked ? [x.pending ? t('admin.hook.pending', { n: x.pending }) : '', x.pending && x.parked ? '，' : '',
      x.parked ? h('span.late', null, t('admin.hook.parked', { n: x.parked })) : ''] : h('span.muted', null, t('admin.hook.nothing'));
    const fresh = () => api('GET', '/api/v1/admin/webhooks').then(r => (r.webhooks || []).forEach(x => {
      wrap.querySelector(`[data-waiting="${x.id}"]`)?.replaceChildren(...[waiting(x)].flat().filter(Boolean));
    })).catch(() => {});
    const showDeliveries = async (x, state = '', before = 0, more = null) => {
      if (!before) fresh();
      const p = new URLSearchParams({ limit: '50' });
      if (state) p.set('state', state);
      if (before) p.set('before', String(before));
      let d;
      try { d = await api('GET', `/api/v1/admin/webhooks/${x.id}/deliveries?${p}`); } catch (err) { deliveries.replaceChildren(h('p.err', { role: 'alert' }, errText(err))); return; }
      const rows = d.deliveries.map(v => h('tr', { 'data-delivery': v.id, 'data-state': v.state }, h('td', null, String(v.id)), h('td', null, topicName(v.topic), ' ', h('span.muted.code', null, v.topic)), h('td.n', null, String(v.message_id)),
        h('td', null, h(`span.dstate.${v.state}`, null, t(`admin.delivery.${v.state}`))), h('td.n', null, String(v.attempts)),
        h('td', null, v.last_status ? `HTTP ${v.last_status}` : ''), h('td', null, v.last_error || ''), h('td', null, fmtTime(v.last_at)),
        h('td', null, v.state === 'pending' ? fmtTime(v.next_at) : ''),
        h('td', null, v.state === 'parked' ? h('button.link', { type: 'button', 'data-replay': v.id, onclick: async () => {
          try { await api('POST', `/api/v1/admin/deliveries/${v.id}/replay`); toast(t('admin.delivery.replayed', { id: v.id })); await showDeliveries(x, state); } catch (err) { toast(errText(err)); }
        } }, t('admin.delivery.replay')) : '')));
      // Older pages are added to the same table.
      let into = more;
      const next = d.next_before ? h('button', { type: 'button', id: 'deliveries-more', onclick: e => { e.currentTarget.remove(); showDeliveries(x, state, d.next_before, into); } }, t('admin.delivery.more')) : '';
      if (more) { more.append(...rows); more.parentNode.after(next); return; }
      const pick = h('select', { id: 'delivery-state', 'aria-label': t('admin.delivery.state') }, ['', 'pending', 'done', 'parked'].map(s =>
        h('option', { value: s, selected: s === state }, s ? t(`admin.delivery.${s}`) : t('admin.delivery.all'))));
      pick.addEventListener('change', () => showDeliveries(x, pick.value));
      const tbody = h('tbody', null, rows);
      into = tbody;
      deliveries.replaceChildren(h('section.panel', { 'data-deliveries-of': x.id }, h('h2', null, t('admin.delivery.of', { id: x.id, url: x.url })),
        h('div.actions', null, pick, h('button', { type: 'button', id: 'deliveries-refresh', onclick: () => showDeliveries(x, pick.value) }, t('admin.delivery.refresh'))),
        rows.length ? h('table', { id: 'deliveries' }, h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, t('admin.topics')), h('th.n', null, t('admin.delivery.message')),
          h('th', null, t('admin.delivery.state')), h('th.n', null, t('admin.delivery.attempts')), h('th', null, t('admin.delivery.status')), h('th', null, t('admin.delivery.error')),
          h('th', null, t('admin.delivery.last')), h('th', null, t('admin.delivery.next')), h('th', null, ''))), tbody) : h('p.muted', { id: 'deliveries-none' }, t('admin.delivery.none')), next));
    };
    const pause = x => h('button.link', { type: 'button', 'data-pause-hook': x.id, 'data-active': String(x.active), onclick: async () => {
      if (x.active && !await confirmDialog(t('admin.hook.pause.q', { id: x.id }), t('admin.hook.pause.detail', { url: x.url }), t('admin.hook.pause'))) return;
      try { await api('PATCH', `/api/v1/admin/webhooks/${x.id}`, { active: !x.active }); toast(t(x.active ? 'admin.hook.paused' : 'admin.hook.resumed', { id: x.id })); await reload(); }
      catch (err) { toast(errText(err)); }
    } }, t(x.active ? 'admin.hook.pause' : 'admin.hook.resume'));
    const list = r.webhooks || [];
    wrap.append(form, shown, h('section.panel', null, h('h2', null, t('admin.webhooks.n', { n: list.length })),
      list.length ? h('table', { id: 'webhooks' }, h('tr', null, h('th', null, '#'), h('th', null, t('admin.hook.url.col')), h('th', null, t('admin.topics')), h('th', null, t('admin.hook.state')),
        h('th', null, t('admin.hook.waiting')), h('th', null, t('admin.hook.since')), h('th', null, '')),
      list.map(x => h('tr', { 'data-hook': x.id }, h('td', null, String(x.id)), h('td.url', null, x.url), h('td', null, x.topics.join(', ')),
        h('td', null, x.active ? t('admin.hook.active') : h('span.late', null, t('admin.hook.paused.state'))),
        h('td', { 'data-waiting': x.id }, waiting(x)),
        h('td', null, fmtTime(x.created_at)),
        h('td', null, h('button.link', { type: 'button', 'data-show-deliveries': x.id, onclick: () => showDeliveries(x) }, t('admin.hook.deliveries')), ' ', pause(x),
          x.parked ? [' ', h('button.link', { type: 'button', 'data-replay-all': x.id, onclick: async () => {
            try { const res = await api('POST', `/api/v1/admin/webhooks/${x.id}/replay`); toast(t('admin.hook.replayed', { n: res.replayed })); await reload(); } catch (err) { toast(errText(err)); }
          } }, t('admin.hook.replay', { n: x.parked }))] : '')))) :
        h('p.muted', null, t('admin.webhooks.none'))), deliveries);
    return wrap;
  },
};

// limitTable edits the time-limit table as a table: a row per limit with
// its scope by name, the step, urgency and unit in words. The whole table
// is sent and checked on the server; each row it refuses says why beside
// it, and nothing changes until every row is right.
function limitTable(cat, limits) {
  const body = h('tbody', null);
  const msg = h('p.err', { role: 'alert', id: 'limits-msg' });
  const opt = (v, label, on) => h('option', { value: v, selected: on }, label);
  const row = l => {
    const name = h('div.scope-name', null, l.scope ? scopeName(cat, l.scope) : '');
    // The code in the field, its name under it: a name typed or picked
    // from the list becomes its code.
    const scope = h('input', { 'data-f': 'scope', list: 'limit-scopes', size: 14, value: l.scope || '', placeholder: t('admin.limit.scope.ph'), 'aria-label': t('admin.limit.scope'),
      oninput: () => { name.textContent = scopeName(cat, parseScope(cat, scope.value)); },
      onchange: () => { scope.value = parseScope(cat, scope.value); name.textContent = scope.value ? scopeName(cat, scope.value) : ''; } });
    const tr = h('tr', { 'data-limit-row': '' },
      h('td', null, name, scope),
      h('td', null, h('select', { 'data-f': 'step', 'aria-label': t('admin.limit.step') }, steps.map(s => opt(s, t(`step.${s}`), s === l.step)))),
      h('td', null, h('select', { 'data-f': 'urgency', 'aria-label': t('case.urgency') }, opt('', t('admin.limit.both'), !l.urgency),
        ['normal', 'urgent', 'immediate'].map(u => opt(u, t(`urgency.${u}`), l.urgency === u)))),
      h('td', null, h('input', { 'data-f': 'amount', type: 'number', min: 1, max: 10000, step: 1, value: l.amount ?? '', style: 'width:5.5rem', 'aria-label': t('admin.limit.amount') })),
      h('td', null, h('select', { 'data-f': 'unit', 'aria-label': t('admin.limit.unit') }, limitUnits.map(u => opt(u, t(`admin.limit.unit.${u}`), u === l.unit)))),
      h('td', null, h('input', { 'data-f': 'note', value: l.note || '', maxlength: 100, size: 18, 'aria-label': t('admin.rule.note') })),
      h('td', null, h('button.link', { type: 'button', 'data-remove-limit': '', onclick: async () => {
        if (!await confirmDialog(t('admin.limit.remove.q'), `${scopeName(cat, parseScope(cat, scope.value))} · ${t(`step.${tr.querySelector('[data-f=step]').value}`)}`, t('admin.delete'))) return;
        tr.remove(); number();
      } }, t('admin.delete')), h('div.err.row-err', { role: 'alert' })));
    return tr;
  };
  // Rows are numbered as the server counts them (limits[i]).
  const number = () => [...body.rows].forEach((tr, i) => { tr.dataset.limitRow = String(i); });
  const read = () => [...body.rows].map(tr => {
    const v = f => tr.querySelector(`[data-f=${f}]`).value;
    const l = { scope: parseScope(cat, v('scope')), step: v('step'), urgency: v('urgency'), amount: Number(v('amount') || 0), unit: v('unit') };
    if (v('note').trim()) l.note = v('note').trim();
    return l;
  });
  const clear = () => {
    msg.textContent = '';
    body.querySelectorAll('.row-err').forEach(e => { e.textContent = ''; });
    body.querySelectorAll('.bad').forEach(e => { e.classList.remove('bad'); e.removeAttribute('aria-invalid'); });
    body.querySelectorAll('tr.bad-row').forEach(e => e.classList.remove('bad-row'));
  };
  // Each refused row: its message beside it, the field marked.
  const show = err => {
    const list = err.problem && (err.problem.errors || (err.problem.field ? [err.problem] : []));
    let marked = 0;
    for (const p of list || []) {
      const m = /^limits\[(\d+)\](?:\.([a-z_]+))?$/.exec(p.field || '');
      const tr = m && body.rows[Number(m[1])];
      if (!tr) continue;
      marked++;
      tr.classList.add('bad-row');
      const el = m[2] && tr.querySelector(`[data-f=${m[2]}]`);
      if (el) { el.classList.add('bad'); el.setAttribute('aria-invalid', 'true'); }
      const other = /^limits\[(\d+)\]$/.exec(p.other || '');
      const text = p.code === 'duplicate' && other ? t('admin.limit.err.duplicate', { n: Number(other[1]) + 1 }) : t(`admin.limit.err.${m[2] || 'row'}`);
      const cell = tr.querySelector('.row-err');
      cell.textContent = cell.textContent ? `${cell.textContent}；${text}` : text;
    }
    msg.textContent = marked ? t('admin.limits.refused', { n: marked }) : errText(err);
    body.querySelector('tr.bad-row')?.scrollIntoView({ block: 'center' });
  };
  // In the order people read the table: all, a class, a category; then the
  // loop's steps; both urgencies before one.
  const rank = sc => (sc === '*' ? '0' : sc.length === 3 ? '1' : '2') + sc;
  limits.slice().sort((a, b) => rank(a.scope).localeCompare(rank(b.scope)) || steps.indexOf(a.step) - steps.indexOf(b.step) || (a.urgency || '').localeCompare(b.urgency || ''))
    .forEach(l => body.append(row(l)));
  number();
  const save = h('button.primary', { type: 'button', id: 'limits-save', onclick: async () => {
    clear();
    try {
      await api('PUT', '/api/v1/admin/time-limits', { limits: read() });
      toast(t('admin.limits.saved', { n: body.rows.length }));
    } catch (err) { show(err); }
  } }, t('admin.limits.save'));
  return h('section.panel', { id: 'limits' }, h('h2', null, t('admin.limits.n', { n: limits.length })), h('p.muted', null, t('admin.limits.help')),
    scopeOptions(cat, 'limit-scopes'),
    h('table.limits', null, h('thead', null, h('tr', null, h('th', null, t('admin.limit.scope')), h('th', null, t('admin.limit.step')), h('th', null, t('case.urgency')),
      h('th', null, t('admin.limit.amount')), h('th', null, t('admin.limit.unit')), h('th', null, t('admin.rule.note')), h('th', null, ''))), body),
    msg, h('div.actions', null, h('button', { type: 'button', id: 'limits-add', onclick: () => {
      const tr = row({ scope: '', step: 'handle', amount: 1, unit: 'working_days' });
      body.append(tr); number(); tr.querySelector('[data-f=scope]').focus();
    } }, t('admin.limits.add')), save));
}
