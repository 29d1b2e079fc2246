// Area alerts on the board (订阅提醒): a resident picks an area — a street
// or community by name, or a circle drawn on the map — and, if they like,
// some categories, and gives an e-mail address; a confirmation mail
// follows. The confirmation and unsubscribe pages are the links of those
// mails (/alerts/confirm/TOKEN, /alerts/unsubscribe/TOKEN). The address is
// never shown back.
import { api, h, lang, searchCategories, t } from './lib.js';
import { placeIndex, searchPlaces } from './places.js';

const radii = [300, 500, 1000, 2000];

// feedHref is the Atom feed of the same area.
function feedHref(area) {
  const q = new URLSearchParams();
  if (area.street) q.set('street', area.street);
  if (area.community) q.set('community', area.community);
  if (area.lon !== undefined) { q.set('lon', area.lon.toFixed(6)); q.set('lat', area.lat.toFixed(6)); q.set('r', area.radius); }
  if (lang === 'en') q.set('lang', 'en');
  const s = q.toString();
  return '/feeds/board.atom' + (s ? '?' + s : '');
}

export async function alerts(main, publicErr) {
  const cats = (await api('GET', '/api/v1/catalog?public=true')).categories;
  const { VectorMap, loadLayer } = await import('./map.js');
  let kind = 'place', place = null, centre = null, lastBox = null;
  const chosen = new Map(); // category id → name
  const msg = h('p.err', { role: 'alert', id: 'a-msg' });
  // Where: a street or community by name, or a circle on the map.
  const kinds = h('div.tabs', null, ['place', 'circle'].map(k => h('button', { type: 'button', 'data-kind': k, class: k === kind ? 'on' : '', 'aria-pressed': String(k === kind),
    onclick: () => {
      kind = k;
      kinds.querySelectorAll('button').forEach(b => { b.classList.toggle('on', b.dataset.kind === k); b.setAttribute('aria-pressed', String(b.dataset.kind === k)); });
      show();
    } }, t(`alerts.kind.${k}`))));
  const placeIn = h('input', { id: 'a-place', type: 'search', autocomplete: 'off', placeholder: t('alerts.place.ph') });
  const placeSug = h('ul.suggest', { id: 'a-place-list' });
  const placeLine = h('p.muted', { id: 'a-place-chosen' }, t('alerts.place.none'));
  const placeBox = h('div', null, h('label', null, h('span', null, t('alerts.place')), placeIn), placeSug, placeLine);
  const mapBox = h('div.report-map', { id: 'a-map' });
  const radius = h('select', { id: 'a-radius' }, radii.map(r => h('option', { value: r, selected: r === 500 }, t('alerts.radius.m', { m: r }))));
  const circleLine = h('p.muted', { id: 'a-circle-chosen' }, t('alerts.circle.none'));
  const circleBox = h('div', { hidden: true }, h('div.muted', null, t('alerts.circle.help')), mapBox,
    h('label', null, h('span', null, t('alerts.radius')), radius), circleLine);
  // What: categories, optional.
  const catIn = h('input', { id: 'a-category', type: 'search', autocomplete: 'off', placeholder: t('alerts.categories.ph') });
  const catSug = h('ul.suggest', { id: 'a-category-list' });
  const chips = h('div.chips', { id: 'a-categories' });
  const email = h('input', { id: 'a-email', type: 'email', autocomplete: 'email', maxlength: 254 });
  const feed = h('a.feed', { id: 'a-feed', type: 'application/atom+xml', href: feedHref({}) }, t('alerts.feed'));

  const map = new VectorMap(mapBox, { onPoint: (lon, lat) => { centre = [lon, lat]; drawCircle(); } });
  map.legend.textContent = t('alerts.map.legend');
  function drawCircle() {
    if (!centre) return;
    map.setMarker(centre[0], centre[1]);
    map.setCircle(centre[0], centre[1], Number(radius.value));
    circleLine.textContent = t('alerts.circle.chosen', { m: radius.value });
    circleLine.className = 'where-ok';
    feed.href = feedHref(area() || {});
  }
  radius.onchange = drawCircle;
  function area() {
    if (kind === 'place') return place ? { [place.level]: place.code } : null;
    return centre ? { lon: centre[0], lat: centre[1], radius: Number(radius.value) } : null;
  }
  function show() {
    placeBox.hidden = kind !== 'place'; circleBox.hidden = kind !== 'circle';
    feed.href = feedHref(area() || {});
    if (kind === 'circle') requestAnimationFrame(() => { map.resize(); if (lastBox) map.fit(lastBox); });
  }

  const places = await placeIndex(loadLayer);
  const pick = p => {
    place = { code: p.code, level: p.code.length > 9 ? 'community' : 'street', name: p.full };
    placeIn.value = p.full; placeSug.replaceChildren();
    placeLine.textContent = t('alerts.place.chosen', { place: p.full }); placeLine.className = 'where-ok';
    const pad = 0.002;
    lastBox = [p.box[0] - pad, p.box[1] - pad, p.box[2] + pad, p.box[3] + pad];
    map.fit(lastBox);
    feed.href = feedHref(area());
  };
  placeIn.addEventListener('input', () => placeSug.replaceChildren(...searchPlaces(places, placeIn.value).map(p =>
    h('li', { tabindex: 0, 'data-place': p.code, onclick: () => pick(p), onkeydown: e => { if (e.key === 'Enter') pick(p); } }, p.full))));
  placeIn.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); placeSug.querySelector('li')?.click(); } });

  const drawChips = () => chips.replaceChildren(...[...chosen].map(([id, name]) => h('button.chip', { type: 'button', 'data-category': id,
    title: t('alerts.categories.remove'), onclick: () => { chosen.delete(id); drawChips(); } }, name, ' ×')),
  chosen.size ? '' : h('span.muted', null, t('alerts.categories.all')));
  drawChips();
  const showCats = () => catSug.replaceChildren(...searchCategories(cats, catIn.value, 8).filter(c => !chosen.has(c.id)).map(c => h('li', { tabindex: 0, 'data-category': c.id,
    onclick: () => { if (chosen.size < 20) chosen.set(c.id, c.name); catIn.value = ''; catSug.replaceChildren(); drawChips(); },
    onkeydown: e => { if (e.key === 'Enter') e.currentTarget.click(); } }, c.name)));
  catIn.addEventListener('input', showCats);
  catIn.addEventListener('focus', showCats);

  const form = h('form.panel.phone', { id: 'alerts-form', onsubmit: async e => {
    e.preventDefault();
    msg.textContent = '';
    const a = area();
    if (!a) { msg.textContent = t(kind === 'place' ? 'alerts.need.place' : 'alerts.need.circle'); return; }
    if (!email.value.trim()) { msg.textContent = t('alerts.need.email'); email.focus(); return; }
    try {
      await api('POST', '/api/v1/public/alerts', { ...a, email: email.value.trim(), categories: [...chosen.keys()], lang });
      main.replaceChildren(h('section.panel', { id: 'alerts-sent' }, h('h1', null, t('alerts.sent.title')), h('p', null, t('alerts.sent.text')),
        h('p.muted', null, t('alerts.privacy')), h('a', { href: '#list' }, t('alerts.back'))));
    } catch (err) { msg.textContent = publicErr(err); }
  } }, h('h1', null, t('alerts.title')), h('p.muted', null, t('alerts.intro')),
  h('h2', null, t('alerts.step.where')), kinds, placeBox, circleBox,
  h('h2', null, t('alerts.step.what')), h('label', null, h('span', null, t('alerts.categories')), catIn), catSug, chips,
  h('h2', null, t('alerts.step.email')), h('label', null, h('span', null, t('alerts.email') + ' *'), email),
  h('p.muted', null, t('alerts.privacy')), msg,
  h('button.primary', { type: 'submit', id: 'a-submit' }, t('alerts.submit')),
  h('p', null, feed, ' ', h('span.muted', null, t('alerts.feed.help'))));
  main.replaceChildren(form);
  await map.ready;
}

// areaText names a confirmed subscription's area.
function areaText(a) {
  const where = a.kind === 'circle' ? t('alerts.circle.chosen', { m: a.circle.radius }) : a.name;
  return a.category_names.length ? `${where} · ${a.category_names.join(t('alerts.list.sep'))}` : `${where} · ${t('alerts.categories.all')}`;
}

// confirm is the page of a confirmation mail's link: one button, so a mail
// scanner opening the link confirms nothing.
export function confirm(main, token, publicErr) {
  const out = h('div', { id: 'confirm-result' });
  const btn = h('button.primary', { type: 'button', id: 'confirm-button', onclick: async () => {
    btn.disabled = true;
    try {
      const a = await api('POST', '/api/v1/public/alerts/confirm', { token });
      out.replaceChildren(h('h2', null, t('alerts.confirmed')), h('p', { id: 'confirm-area' }, areaText(a)), h('p.muted', null, t('alerts.confirmed.text')),
        h('p', null, h('a', { href: '/board#list' }, t('alerts.back'))));
      btn.hidden = true;
    } catch (e) { btn.disabled = false; out.replaceChildren(h('p.err', { role: 'alert' }, e.status === 404 ? t('alerts.confirm.gone') : publicErr(e))); }
  } }, t('alerts.confirm'));
  main.replaceChildren(h('section.panel', { id: 'confirm-page' }, h('h1', null, t('alerts.confirm.title')), h('p', null, t('alerts.confirm.text')), btn, out));
}

// unsubscribe is the page of an unsubscribe link: it unsubscribes at once
// (one click, from the mail).
export async function unsubscribe(main, token, publicErr) {
  const box = h('section.panel', { id: 'unsubscribe-page' }, h('h1', null, t('alerts.unsubscribe.title')), h('p.muted', null, '…'));
  main.replaceChildren(box);
  try {
    await api('POST', '/api/v1/public/alerts/unsubscribe', { token });
    box.replaceChildren(h('h1', null, t('alerts.unsubscribed')), h('p', { id: 'unsubscribe-done' }, t('alerts.unsubscribed.text')),
      h('p', null, h('a', { href: '/board#alerts' }, t('alerts.again'))));
  } catch (e) { box.append(h('p.err', { role: 'alert' }, publicErr(e))); }
}
