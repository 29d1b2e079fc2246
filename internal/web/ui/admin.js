// Admin pages: users and units, the grid layer (GeoJSON import with a
// check first), the catalog with its time limits, the dispatch table with
// its dry run, the calendar and the webhooks. Writes are for administrators;
// dispatchers see the dispatch table and its dry run.
import { api, catalog, errText, fmtTime, h, t, toast } from './lib.js';
import { units } from './casepanel.js';

const sections = ['dispatch', 'users', 'grids', 'catalog', 'calendar', 'webhooks'];

export async function render(main, me) {
  const box = h('div', { id: 'admin-body' });
  const bar = h('div.tabs', { role: 'tablist' }, sections.filter(s => me.role === 'admin' || s === 'dispatch' || s === 'catalog').map(s =>
    h('button', { type: 'button', 'data-section': s, onclick: e => { bar.querySelectorAll('button').forEach(b => b.classList.toggle('on', b === e.currentTarget)); show(s); } }, t(`admin.${s}`))));
  const banner = h('div', { id: 'admin-banner' });
  main.replaceChildren(h('h1', null, t('nav.admin')), banner, bar, box);
  if (me.role === 'admin') {
    api('GET', '/api/v1/admin/holidays').then(r => {
      const y = r.missing_years || [];
      if (y.length) banner.replaceChildren(h('p.err.banner', { role: 'alert' }, t('admin.calendar.missing', { y: y.join('、') }), ' ',
        h('button.link', { type: 'button', onclick: () => bar.querySelector('[data-section=calendar]').click() }, t('admin.holidays.go'))));
    }).catch(() => {});
  }
  async function show(s) {
    box.replaceChildren(h('p.muted', null, t('app.loading')));
    try { box.replaceChildren(await views[s](me)); } catch (e) { box.replaceChildren(h('p.err', null, errText(e))); }
  }
  bar.firstChild.classList.add('on');
  await show(sections[0]);
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

const views = {
  async dispatch(me) {
    const [r, cat, us] = await Promise.all([api('GET', '/api/v1/dispatch-rules'), catalog(), units()]);
    const byCode = new Map(us.list.map(u => [u.code, u.name]));
    const name = code => byCode.get(code) || code;
    const lon = h('input', { id: 'dry-lon', value: '113.3000', size: 10 }), lat = h('input', { id: 'dry-lat', value: '40.0800', size: 10 });
    const catIn = h('input', { id: 'dry-category', value: 'M06011', size: 8, list: 'cats' });
    const out = h('div', { id: 'dry-result' });
    const dry = h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      try {
        const d = await api('GET', `/api/v1/route?lon=${lon.value}&lat=${lat.value}&category=${encodeURIComponent(catIn.value)}`);
        out.replaceChildren(h('p', null, h('b', null, d.decision.lead.name), ' — ', d.decision.why),
          h('ol', null, (d.decision.matched || []).map(m => h('li', null, `#${m.id} ${m.category} × ${m.area || '*'} → ${name(m.lead)}`))));
      } catch (err) { out.replaceChildren(h('p.err', null, errText(err))); }
    } }, h('h2', null, t('admin.dryrun')), h('div.actions', null, h('label', null, h('span', null, 'lon'), lon), h('label', null, h('span', null, 'lat'), lat),
      h('label', null, h('span', null, t('case.category')), catIn)), h('datalist', { id: 'cats' }, cat.list.slice(0, 400).map(c => h('option', { value: c.id }, c.name))),
    h('button.primary', { type: 'submit' }, t('admin.dryrun.go')), out);
    const isAdmin = me.role === 'admin';
    const reload = async box => box.replaceWith(await views.dispatch(me));
    const f = { category: h('input', { id: 'rule-category', placeholder: 'M06011 / M06 / *', required: true }), area: h('input', { id: 'rule-area', placeholder: '140213053 / *' }),
      ownership: h('input', { id: 'rule-ownership', placeholder: 'property' }),
      lead: h('select', { id: 'rule-lead' }, us.list.map(u => h('option', { value: u.code }, u.name))), note: h('input', { id: 'rule-note' }) };
    const msg = h('p.err', { role: 'alert' });
    const wrap = h('div');
    const add = isAdmin ? h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      try {
        await api('POST', '/api/v1/admin/dispatch-rules', { category: f.category.value.trim(), area: f.area.value.trim() || '*', ownership: f.ownership.value.trim(), lead: f.lead.value, note: f.note.value.trim() });
        toast(t('admin.saved')); await reload(wrap);
      } catch (err) { msg.textContent = errText(err); }
    } }, h('h2', null, t('admin.rule.new')), h('div.actions', null, Object.entries(f).map(([k, el]) => h('label', null, h('span', null, t(`admin.rule.${k}`)), el))), msg,
    h('button.primary', { type: 'submit' }, t('submit'))) : null;
    const del = x => isAdmin ? h('button.link', { type: 'button', 'data-delete-rule': x.id, onclick: async () => {
      try { await api('DELETE', `/api/v1/admin/dispatch-rules/${x.id}`); toast(t('admin.saved')); await reload(wrap); } catch (err) { toast(errText(err)); }
    } }, t('admin.delete')) : '';
    wrap.append(dry, add || '', h('section.panel', null, h('h2', null, t('admin.rules', { n: r.rules.length })), h('table', null,
      h('tr', null, h('th', null, '#'), h('th', null, t('admin.rule.category')), h('th', null, t('admin.rule.area')), h('th', null, t('admin.rule.lead')), h('th', null, t('admin.rule.assist')), h('th', null, '')),
      r.rules.slice(0, 500).map(x => h('tr', null, h('td', null, String(x.id)), h('td', null, x.category || '*'), h('td', null, (x.area || '*') + (x.ownership ? ` (${x.ownership})` : '')),
        h('td', null, name(x.lead)), h('td', null, (x.assist || []).map(name).join('、')), h('td', null, del(x)))))));
    return wrap;
  },
  async users(me) {
    const [r, us] = await Promise.all([api('GET', '/api/v1/admin/users'), units()]);
    const f = { username: h('input', { id: 'new-username', required: true }), name: h('input', { id: 'new-name' }),
      role: h('select', { id: 'new-role' }, ['grid_worker', 'operator', 'dispatcher', 'handler', 'leader', 'admin'].map(x => h('option', { value: x }, t(`role.${x}`)))),
      unit: h('select', { id: 'new-unit' }, us.list.map(u => h('option', { value: u.code }, u.name))),
      grids: h('input', { id: 'new-grids', placeholder: '14021305300101' }), password: h('input', { id: 'new-password', type: 'password', minlength: 10, required: true }) };
    const msg = h('p.err', { role: 'alert' });
    const form = h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      try {
        await api('POST', '/api/v1/admin/users', { username: f.username.value.trim(), name: f.name.value.trim(), role: f.role.value, unit: f.unit.value,
          grids: f.grids.value.split(/[,，\s]+/).filter(Boolean), password: f.password.value });
        toast(t('admin.user.created')); form.parentNode.replaceWith(await views.users(me));
      } catch (err) { msg.textContent = errText(err); }
    } }, h('h2', null, t('admin.user.new')), Object.entries(f).map(([k, el]) => h('label', null, h('span', null, t(`admin.user.${k}`)), el)), msg,
    h('button.primary', { type: 'submit' }, t('submit')));
    const unitName = new Map(us.list.map(u => [u.code, u.name]));
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
    h('button.primary', { type: 'submit' }, t('submit')));
    const wrap = h('div', null);
    const toggle = u => u.username === me.username ? '' : h('button.link', { type: 'button', 'data-toggle-user': u.username, onclick: async () => {
      try {
        await api('PATCH', `/api/v1/admin/users/${encodeURIComponent(u.username)}`, { active: !u.active });
        toast(t(u.active ? 'admin.user.deactivated' : 'admin.user.activated')); wrap.replaceWith(await views.users(me));
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
        cell.replaceChildren(pw, ' ', ok);
        pw.focus();
      } }, t('admin.user.reset'));
      cell.append(open);
      return cell;
    };
    wrap.append(form, unitForm, h('section.panel', null, h('h2', null, t('admin.users', { n: r.users.length })), h('table', null,
      h('tr', null, h('th', null, t('admin.user.username')), h('th', null, t('admin.user.name')), h('th', null, t('admin.user.role')), h('th', null, t('admin.user.unit')), h('th', null, t('admin.active')), h('th', null, '')),
      r.users.slice(0, 300).map(u => h('tr', null, h('td', null, u.username), h('td', null, u.name), h('td', null, t(`role.${u.role}`)), h('td', null, unitName.get(u.unit) || u.unit),
        h('td', null, u.active ? t('yes') : h('span.late', null, t('admin.user.inactive'))), h('td', null, toggle(u), ' ', reset(u)))))));
    return wrap;
  },
  async grids() {
    const file = h('input', { type: 'file', id: 'grids-file', accept: '.geojson,.json,application/geo+json' });
    const from = h('input', { type: 'date', id: 'grids-from' });
    const out = h('div', { id: 'grids-result' });
    const send = async dry => {
      if (!file.files[0]) { out.replaceChildren(h('p.err', null, t('admin.grids.pick'))); return; }
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
    const limits = me.role === 'admin' ? (await api('GET', '/api/v1/admin/time-limits')).limits : [];
    const editor = h('textarea', { id: 'limits-json', style: 'min-height:14rem;font-family:monospace' }, JSON.stringify({ limits }, null, 1));
    const lmsg = h('p.err', { role: 'alert' });
    const edit = me.role === 'admin' ? h('details.panel', null, h('summary', null, t('admin.limits.edit')), h('p.muted', null, t('admin.limits.help')), editor, lmsg,
      h('button.primary', { type: 'button', onclick: async () => {
        try { const body = JSON.parse(editor.value); await api('PUT', '/api/v1/admin/time-limits', body); toast(t('admin.saved')); lmsg.textContent = ''; }
        catch (err) { lmsg.textContent = errText(err); }
      } }, t('submit'))) : null;
    const cf = { id: h('input', { id: 'cat-id', required: true, placeholder: 'M90001', pattern: '[CM][0-9]{5}' }), name: h('input', { id: 'cat-name' }),
      major_class: h('input', { id: 'cat-class', placeholder: '地方事项' }), dept_hint: h('input', { id: 'cat-dept' }),
      public: h('input', { id: 'cat-public', type: 'checkbox', checked: true }) };
    const cmsg = h('p.err', { role: 'alert' });
    const catForm = me.role === 'admin' ? h('form.panel', { onsubmit: async e => {
      e.preventDefault();
      const body = { public: cf.public.checked };
      for (const k of ['name', 'major_class', 'dept_hint']) if (cf[k].value.trim()) body[k] = cf[k].value.trim();
      try {
        await api('PUT', `/api/v1/admin/categories/${encodeURIComponent(cf.id.value.trim())}`, body);
        toast(t('admin.saved')); view.replaceWith(await views.catalog(me, true));
      } catch (err) { cmsg.textContent = errText(err); }
    } }, h('h2', null, t('admin.cat.edit')), h('p.muted', null, t('admin.cat.help')),
    h('div.actions', null, Object.entries(cf).map(([k, el]) => h('label', null, h('span', null, t(`admin.cat.${k}`)), el))), cmsg,
    h('button.primary', { type: 'submit' }, t('submit'))) : null;
    const view = h('div', null, catForm, edit, limits.length ? h('section.panel', null, h('h2', null, t('admin.limits')), h('table', null,
      h('tr', null, h('th', null, t('admin.limit.scope')), h('th', null, t('admin.limit.step')), h('th', null, t('case.urgency')), h('th.n', null, t('admin.limit.amount'))),
      limits.map(l => h('tr', null, h('td', null, l.scope || '*'), h('td', null, l.step), h('td', null, l.urgency || '*'), h('td.n', null, `${l.amount} ${l.unit}`, l.note ? h('div.muted', null, l.note) : ''))))) : null,
    h('section.panel', null, h('h2', null, t('admin.catalog', { n: cat.list.length })), h('table', null,
      h('tr', null, h('th', null, 'ID'), h('th', null, t('case.category')), h('th', null, t('admin.public'))),
      cat.list.map(c => h('tr', null, h('td', null, c.id), h('td', null, c.name), h('td', null, c.public ? t('yes') : ''))))));
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
  async webhooks() {
    const r = await api('GET', '/api/v1/admin/webhooks');
    return h('section.panel', null, h('h2', null, t('admin.webhooks')), h('p.muted', null, t('admin.webhooks.help')),
      h('table', null, h('tr', null, h('th', null, 'URL'), h('th', null, t('admin.topics')), h('th', null, t('admin.active'))),
        (r.webhooks || []).map(x => h('tr', null, h('td', null, x.url), h('td', null, x.topics.join(', ')), h('td', null, x.active ? t('yes') : t('no'))))));
  },
};
