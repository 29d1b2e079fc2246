// The hotline desk (接线): a 12345 operator takes a call with the keyboard,
// in the order the call goes — the number (the caller's earlier orders
// show at once), who calls, what they ask for, the category (Chinese or
// pinyin initials), where (a street or community by name, or a tap on the
// map), what happened — sees the open reports of the same kind nearby,
// and files the order; its file opens beside the form for what comes next.
import { api, catalog, catName, errText, fmtTime, h, questions, searchCategories, stateTag, t } from './lib.js';
import { renderCase } from './casepanel.js';
import { placeIndex, searchPlaces } from './places.js';
import { deskPanel } from './knowledge.js';

const types = ['complaint', 'help', 'enquiry', 'tip_off', 'suggestion', 'praise'];

export async function render(main, me) {
  const cat = await catalog();
  const { VectorMap, loadLayer } = await import('./map.js');
  const places = await placeIndex(loadLayer);
  let chosen = null, point = null, key = newKey(), asked = null;
  const field = (label, el, id) => h('label', { for: id }, h('span', null, label), el);
  const phone = h('input', { id: 'in-phone', type: 'tel', inputmode: 'tel', maxlength: 20, autocomplete: 'off', placeholder: '139…' });
  const history = h('div', { id: 'in-history', 'aria-live': 'polite' });
  const name = h('input', { id: 'in-name', maxlength: 50, autocomplete: 'off' });
  const anon = h('input', { id: 'in-anon', type: 'checkbox' });
  const callback = h('input', { id: 'in-callback', type: 'checkbox', checked: true });
  const updates = h('input', { id: 'in-updates', type: 'checkbox' });
  const type = h('select', { id: 'in-type' }, types.map(x => h('option', { value: x }, t(`rtype.${x}`))));
  const urgency = h('select', { id: 'in-urgency' }, ['normal', 'urgent', 'immediate'].map(u => h('option', { value: u }, t(`urgency.${u}`))));
  // The five elements (五要素): the place is the map's, the course of
  // events the description; when, who and the matter have their fields.
  const when = h('input', { id: 'in-when', maxlength: 100, autocomplete: 'off', placeholder: t('intake.when.ph') });
  const who = h('input', { id: 'in-who', maxlength: 100, autocomplete: 'off', placeholder: t('intake.who.ph') });
  const matter = h('input', { id: 'in-matter', maxlength: 100, autocomplete: 'off', placeholder: t('intake.matter.ph') });
  const catIn = h('input', { id: 'in-category', type: 'search', autocomplete: 'off', placeholder: t('phone.category.ph') });
  const catList = h('ul.suggest', { id: 'in-category-list' });
  const catChosen = h('div.muted', { id: 'in-category-chosen' });
  const qBox = h('div', { id: 'in-questions' });
  const placeIn = h('input', { id: 'in-place', type: 'search', autocomplete: 'off', placeholder: t('public.place.ph') });
  const placeList = h('ul.suggest', { id: 'in-place-list' });
  const where = h('div.muted', { id: 'in-where' }, t('intake.where.none'));
  const mapBox = h('div', { style: 'height:260px' });
  const address = h('input', { id: 'in-address', maxlength: 200 });
  const desc = h('textarea', { id: 'in-description', maxlength: 2000, rows: 4 });
  const nearby = h('div', { id: 'in-nearby', 'aria-live': 'polite' });
  const msg = h('p.err', { role: 'alert', id: 'in-msg' });
  const detail = h('div.panel', { id: 'detail' }, h('p.muted', null, t('intake.help')));
  const kb = deskPanel();
  // Between calls, what waits: the closed orders whose callers are to be
  // called back (回访), one click from their list.
  api('GET', '/api/v1/queues').then(r => {
    const q = r.queues.find(x => x.id === 'callback');
    if (q && q.count > 0 && detail.querySelector('p.muted')) {
      detail.append(h('p', { id: 'callbacks-waiting', 'data-n': q.count }, h('a', { href: '#/centre/callback' }, t('intake.callbacks', { n: q.count }))));
    }
  }).catch(() => {});
  const map = new VectorMap(mapBox, { onPoint: (lon, lat) => { point = [lon, lat]; where.textContent = t('intake.where.map'); checkNearby(); } });

  // The caller's earlier orders, the same matter's marked as repeats.
  async function lookUp() {
    const p = phone.value.replace(/\s/g, '');
    if (!p) { history.replaceChildren(); return; }
    try {
      const r = await api('GET', `/api/v1/callers/${encodeURIComponent(p)}/cases`);
      history.replaceChildren(r.total ? h('div.queue-note', null, h('b', null, t('intake.history', { n: r.total })),
        h('ul', null, r.cases.map(c => h('li', { 'data-history': c.number }, h('a', { href: '#', onclick: e => { e.preventDefault(); renderCase(detail, c.number, me); } }, c.number), ' ',
          catName(cat, c.category), ' ', stateTag(c.state), ' ', h('span.muted', null, fmtTime(c.reported_at)),
          chosen && c.category === chosen.id && c.state !== 'closed' && c.state !== 'voided' ? h('b.warn', null, ' ', t('intake.repeat')) : '')))) : h('p.muted', null, t('intake.history.none')));
    } catch (e) { history.replaceChildren(h('p.err', null, errText(e))); }
  }
  phone.addEventListener('change', lookUp);
  phone.addEventListener('input', () => { if (msg.querySelector('#in-done')) msg.textContent = ''; });
  phone.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); lookUp(); name.focus(); } });
  anon.addEventListener('change', () => { name.disabled = anon.checked; });

  const pickCategory = c => {
    chosen = c; catIn.value = c.name; catList.replaceChildren();
    catChosen.textContent = `${c.name} · ${c.id}`; asked = questions(qBox, c); checkNearby(); lookUp(); kb.suggest(c.name);
  };
  const showCats = () => catList.replaceChildren(...searchCategories(cat.list, catIn.value, 8).map(c => h('li', { tabindex: 0, 'data-category': c.id,
    onclick: () => pickCategory(c), onkeydown: e => { if (e.key === 'Enter') { e.preventDefault(); pickCategory(c); placeIn.focus(); } } }, c.name, ' ', h('span.muted', null, c.id))));
  catIn.addEventListener('input', showCats);
  catIn.addEventListener('keydown', e => {
    if (e.key === 'Enter') { e.preventDefault(); const f = catList.querySelector('li'); if (f) { f.click(); placeIn.focus(); } }
    if (e.key === 'ArrowDown') { e.preventDefault(); const f = catList.querySelector('li'); if (f) f.focus(); }
  });
  const pickPlace = p => {
    placeIn.value = p.full; placeList.replaceChildren(); point = p.at;
    where.textContent = t('intake.where.place', { p: p.full });
    map.fit(p.box); map.setMarker(p.at[0], p.at[1]); checkNearby();
  };
  placeIn.addEventListener('input', () => placeList.replaceChildren(...searchPlaces(places, placeIn.value).map(p =>
    h('li', { tabindex: 0, 'data-place': p.code, onclick: () => pickPlace(p), onkeydown: e => { if (e.key === 'Enter') { e.preventDefault(); pickPlace(p); address.focus(); } } }, p.full))));
  placeIn.addEventListener('keydown', e => {
    if (e.key === 'Enter') { e.preventDefault(); const f = placeList.querySelector('li'); if (f) { f.click(); address.focus(); } }
    if (e.key === 'ArrowDown') { e.preventDefault(); const f = placeList.querySelector('li'); if (f) f.focus(); }
  });

  // Open reports of the same category near the point, before filing.
  async function checkNearby() {
    if (!chosen || !point) { nearby.replaceChildren(); return; }
    try {
      const r = await api('GET', `/api/v1/duplicates?category=${chosen.id}&lon=${point[0].toFixed(6)}&lat=${point[1].toFixed(6)}`);
      nearby.replaceChildren(r.candidates.length ? h('div.queue-note', null, h('b', null, t('intake.nearby', { n: r.candidates.length, m: r.radius_m })),
        h('ul', null, r.candidates.map(d => h('li', { 'data-nearby': d.number }, h('a', { href: '#', onclick: e => { e.preventDefault(); renderCase(detail, d.number, me); } }, d.number),
          ` · ${Math.round(d.distance_m)} m · `, stateTag(d.state), ' ', d.description || '')))) : '');
    } catch (e) { nearby.replaceChildren(h('p.err', null, errText(e))); }
  }

  const submit = h('button.primary', { type: 'submit', id: 'in-submit' }, t('intake.submit'));
  const form = h('form.panel.intake', { id: 'intake-form', onsubmit: async e => {
    e.preventDefault();
    msg.textContent = '';
    if (!chosen) { msg.textContent = t('intake.need.category'); catIn.focus(); return; }
    if (!point) { msg.textContent = t('intake.need.place'); placeIn.focus(); return; }
    if (!desc.value.trim()) { msg.textContent = t('intake.need.description'); desc.focus(); return; }
    const unanswered = asked && asked.missing();
    if (unanswered) { msg.textContent = unanswered; return; }
    submit.disabled = true;
    try {
      const c = await api('POST', '/api/v1/cases', {
        category: chosen.id, description: desc.value.trim(), address: address.value.trim(), lon: point[0], lat: point[1],
        urgency: urgency.value, channel: 'hotline', request_type: type.value,
        caller: { name: name.value.trim(), phone: phone.value.replace(/\s/g, ''), anonymous: anon.checked, callback: callback.checked, updates: updates.checked },
        elements: { when: when.value.trim(), who: who.value.trim(), matter: matter.value.trim() },
        attributes: asked ? asked.answers() : undefined,
      }, { 'Idempotency-Key': key });
      key = newKey();
      msg.replaceChildren(h('span.ok', { id: 'in-done', 'data-number': c.number }, t('intake.done', { n: c.number })));
      await renderCase(detail, c.number, me);
      form.reset(); chosen = null; point = null; name.disabled = false; callback.checked = true; asked = null; qBox.replaceChildren();
      catChosen.textContent = ''; where.textContent = t('intake.where.none'); history.replaceChildren(); nearby.replaceChildren(); map.setMarker();
      // The cited answers stay for the answer on the order just filed.
      phone.focus();
    } catch (err) { msg.textContent = errText(err); }
    submit.disabled = false;
  } },
  h('h2', null, t('intake.title')), h('p.muted', null, t('intake.keys')),
  h('fieldset', null, h('legend', null, t('intake.caller')),
    field(t('intake.phone'), phone, 'in-phone'), history,
    h('div.actions', null, field(t('intake.name'), name, 'in-name'), h('label', null, anon, ' ', t('intake.anonymous')), h('label', null, callback, ' ', t('intake.callback')), h('label', null, updates, ' ', t('intake.updates')))),
  h('fieldset', null, h('legend', null, t('intake.matter')),
    h('div.actions', null, field(t('intake.type'), type, 'in-type'), field(t('case.urgency'), urgency, 'in-urgency')),
    field(t('intake.matter.line'), matter, 'in-matter'),
    field(t('case.category'), catIn, 'in-category'), catList, catChosen, qBox,
    field(t('public.place'), placeIn, 'in-place'), placeList, where, mapBox,
    field(t('public.address'), address, 'in-address'),
    h('div.actions', null, field(t('intake.when'), when, 'in-when'), field(t('intake.who'), who, 'in-who')),
    field(t('intake.description'), desc, 'in-description'), nearby),
  msg, submit);
  // Enter in a field moves the call on, it never files a half-taken order:
  // filing is the button, or Ctrl+Enter anywhere.
  form.addEventListener('keydown', e => {
    if (e.key !== 'Enter') return;
    if (e.ctrlKey || e.metaKey) { e.preventDefault(); form.requestSubmit(); return; }
    if (e.target.matches('input')) e.preventDefault();
  });
  form.addEventListener('keypress', e => { if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && e.target.matches('input')) e.preventDefault(); });
  main.replaceChildren(h('div.cols.intake-cols', null, form, h('div.intake-side', null, kb, detail)));
  phone.focus();
  map.ready.then(() => map.resize());
}

function newKey() { return 'call-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2); }
