// The public board (问题挂牌): open and closed public problems on a list and
// a map of every open one; follow a case by its number and rate it once
// closed; report a problem from the map — my location, a street or
// community searched by name, or a tap — seeing first what is already
// reported nearby, with "me too" (我也遇到) instead of a second report.
// No personal data is shown: what the server sends is already cut by the
// public rule (internal/publish).
import { ApiError, api, errText, fmtTime, h, lang, loadMessages, questions, searchCategories, t, toast } from './lib.js';
import { placeIndex, searchPlaces, shortName } from './places.js';

const main = document.getElementById('main');

// stateText is a state in a resident's words (not the centre's 待派遣).
const stateText = s => t(`public.state.${s}`);
const stateTag = s => h(`span.state.${s}`, { 'data-state': s }, stateText(s));

// publicErr says what went wrong in the reader's language.
function publicErr(e) {
  if (e instanceof ApiError) {
    if (e.status === 404) return t('public.err.not_found');
    if (e.status === 429) return t('public.err.rate_limited');
    if (e.status === 409 && e.problem.code === 'wrong_state') return t('public.err.closed');
  }
  return errText(e);
}

const where = c => [shortName(c.community_name), c.street_name].filter(Boolean).join(' · ');

async function list() {
  let status = 'open', cursor = '';
  const rows = h('tbody', { id: 'board-rows' });
  const more = h('button', { type: 'button', hidden: true }, t('board.more'));
  const mapBox = h('div.board-map', { id: 'board-map' });
  const mapTotal = h('p.muted', { id: 'map-total' }, '…');
  const cellCases = h('div', { id: 'cell-cases' });
  const tabs = h('div.tabs', null, ['open', 'closed'].map(s => h('button', { type: 'button', 'data-status': s, class: s === status ? 'on' : '', onclick: e => {
    status = s; cursor = ''; rows.replaceChildren(); tabs.querySelectorAll('button').forEach(b => b.classList.toggle('on', b === e.currentTarget)); load();
  } }, t(`board.${s}`))));
  async function load() {
    try {
      const r = await api('GET', `/api/v1/public/board?status=${status}${cursor ? '&cursor=' + cursor : ''}`);
      for (const c of r.cases) {
        rows.append(h('tr', { 'data-number': c.number },
          h('td', null, h('a', { href: `#follow/${c.number}` }, c.category_name), h('div.muted', null, c.number)),
          h('td', null, where(c)),
          h('td', null, stateTag(c.state), c.overdue ? h('div.late', null, t('case.overdue')) : '',
            h('div.muted', null, c.deadline ? t('public.due', { at: fmtTime(c.deadline) }) : c.closed_at ? t('public.closed_at', { at: fmtTime(c.closed_at) }) : ''))));
      }
      if (!rows.children.length) rows.append(h('tr', null, h('td.muted', { colspan: 3 }, t('public.none'))));
      cursor = r.next_cursor || '';
      more.hidden = !cursor;
    } catch (e) { rows.append(h('tr', null, h('td.err', { colspan: 3 }, publicErr(e)))); }
  }
  more.onclick = load;
  main.replaceChildren(h('h1', null, t('board.title')), h('p.muted', null, t('board.intro'), ' ',
    h('a.feed', { href: `/feeds/board.atom${lang === 'en' ? '?lang=en' : ''}`, type: 'application/atom+xml', id: 'board-feed' }, t('board.feed')), ' · ',
    h('a', { href: '#alerts' }, t('board.alerts'))),
    h('div.board', null,
      h('section.panel.board-list', null, tabs, h('table', null, h('tr', null, h('th', null, t('case.category')), h('th', null, t('public.where')), h('th', null, t('case.state'))), rows), more),
      h('section.board-side', null, mapTotal, mapBox, cellCases)));
  await load();
  // The map shows every open public problem, counted per public cell.
  const [{ VectorMap }, pm] = await Promise.all([import('./map.js'), api('GET', '/api/v1/public/map').catch(e => ({ error: e }))]);
  let cells = [];
  const map = new VectorMap(mapBox, {
    onPick: p => { location.hash = `follow/${p.number}`; },
    // A count of several places zooms in on them; of one place, lists it.
    onCluster: cl => {
      if (cl.cells.length > 1) { const [x, y] = map.toPx(cl.lon, cl.lat); map.zoomBy(2, x, y); } else fillCell(cellCases, cl);
    },
    onView: () => regroup(),
  });
  // regroup counts the public cells that would overlap at this zoom
  // together (bins of about 36 px, fixed to the map, not the screen, so
  // panning does not move them).
  function regroup() {
    if (!map.view) return;
    const B = 36 / map.view.s, bins = new Map();
    for (const c of cells) {
      const [x, y] = map.P(c.lon, c.lat), k = `${Math.floor(x / B)},${Math.floor(y / B)}`;
      let b = bins.get(k);
      if (!b) bins.set(k, b = { cells: [], count: 0, lon: 0, lat: 0 });
      b.cells.push(c); b.count += c.count; b.lon += c.lon * c.count; b.lat += c.lat * c.count;
    }
    const points = [], clusters = [];
    for (const b of bins.values()) {
      if (b.count === 1) { const c = b.cells[0]; points.push({ number: c.number, lon: c.lon, lat: c.lat, state: c.state }); continue; }
      clusters.push({ lon: b.lon / b.count, lat: b.lat / b.count, count: b.count, cells: b.cells, numbers: b.cells.flatMap(c => c.numbers).slice(0, 20) });
    }
    map.setCases(points, clusters);
    mapBox.dataset.shown = points.length + clusters.reduce((n, c) => n + c.count, 0);
  }
  map.legend.textContent = t('public.map.legend');
  await map.ready;
  if (pm.error) { mapTotal.textContent = publicErr(pm.error); return; }
  mapTotal.textContent = t(pm.more ? 'public.map.more' : 'public.map.total', { n: pm.total });
  cells = pm.cells;
  regroup();
  mapBox.dataset.total = pm.total;
  performance.mark('xiuhua:ready:board'); // the browser benchmarks read it
}

// fillCell lists the problems of one place of the map.
function fillCell(box, cl) {
  box.replaceChildren(h('div.panel', null, h('b', null, t('public.cell', { n: cl.count })),
    h('ul.cell-list', null, cl.numbers.map(n => h('li', null, h('a', { href: `#follow/${n}` }, n)))),
    cl.count > cl.numbers.length ? h('p.muted', null, t('public.cell.more', { n: cl.count - cl.numbers.length })) : null));
}

async function follow(number) {
  const input = h('input', { id: 'follow-number', value: number || '', placeholder: t('public.number.ph'), inputmode: 'numeric', required: true });
  const out = h('div', { id: 'follow-result' });
  const form = h('form.panel', { onsubmit: e => { e.preventDefault(); location.hash = `follow/${input.value.trim()}`; } },
    h('h1', null, t('board.follow')), h('label', null, h('span', null, t('case.number')), input), h('button.primary', { type: 'submit' }, t('board.search')));
  main.replaceChildren(form, out);
  if (!number) return;
  try {
    const c = await api('GET', `/api/v1/public/cases/${encodeURIComponent(number)}`);
    if (c.merged_into) {
      out.replaceChildren(h('section.panel', { id: 'follow-case' }, h('h2', null, c.category_name, ' ', h('span.state', { 'data-state': 'merged' }, t('public.state.merged'))),
        h('p', { id: 'follow-now' }, t('public.merged', { number: c.merged_into })),
        h('dl.kv', null, h('dt', null, t('case.number')), h('dd', null, c.number), h('dt', null, t('public.reported_at')), h('dd', null, fmtTime(c.reported_at))),
        h('p', null, h('a', { href: `#follow/${c.merged_into}`, id: 'follow-merged' }, t('public.merged.follow', { number: c.merged_into }))),
        h('p.muted', null, t('public.tz'))));
      return;
    }
    const place = where(c);
    out.replaceChildren(h('section.panel', { id: 'follow-case' }, h('h2', null, c.category_name, ' ', stateTag(c.state)),
      h('p', { id: 'follow-now' }, t(`public.now.${c.state}`)),
      h('dl.kv', null, h('dt', null, t('case.number')), h('dd', null, c.number),
        place ? [h('dt', null, t('public.where')), h('dd', null, place)] : null,
        h('dt', null, t('public.reported_at')), h('dd', null, fmtTime(c.reported_at)),
        c.deadline ? [h('dt', null, t('public.deadline')), h('dd', null, fmtTime(c.deadline), c.overdue ? h('span.late', null, ' ', t('case.overdue')) : '')] : null,
        c.closed_at ? [h('dt', null, t('board.closed_at')), h('dd', null, fmtTime(c.closed_at))] : null,
        c.me_too ? [h('dt', null, t('public.metoo.label')), h('dd', { id: 'follow-metoo' }, t('public.metoo.count', { n: c.me_too }))] : null),
      h('h3', null, t('public.steps')),
      h('ol.timeline', null, (c.steps || []).map(s => h('li', null, h('b', null, stateText(s.state)), ' ', h('span.muted', null, fmtTime(s.at))))),
      h('p.muted', null, t('public.tz')),
      h('p', null, h('a.feed', { href: `/feeds/cases/${c.number}.atom${lang === 'en' ? '?lang=en' : ''}`, type: 'application/atom+xml', id: 'follow-feed' }, t('feed.link'))),
      c.rateable ? rating(c) : c.rated ? h('p.muted', { id: 'rated' }, t('board.rated')) : null));
  } catch (e) { out.replaceChildren(h('p.err', { role: 'alert' }, publicErr(e))); }
}

function rating(c) {
  const phone = h('input', { id: 'rate-phone', type: 'tel', required: true });
  // The hotline's scale: the same rating a callback records.
  const sat = h('select', { id: 'rate-satisfied' }, ['satisfied', 'fairly_satisfied', 'dissatisfied'].map(v => h('option', { value: v }, t(`rating.${v}`))));
  const solved = h('select', { id: 'rate-solved' }, h('option', { value: 'true' }, t('yes')), h('option', { value: 'false' }, t('no')));
  const msg = h('p.err', { role: 'alert' });
  return h('form.form', { onsubmit: async e => {
    e.preventDefault();
    try {
      await api('POST', `/api/v1/public/cases/${c.number}/rating`, { phone: phone.value, rating: sat.value, solved: solved.value === 'true' });
      toast(t('board.thanks')); follow(c.number);
    } catch (err) { msg.textContent = publicErr(err); }
  } }, h('h3', null, t('board.rate')), h('label', null, h('span', null, t('board.phone')), phone), h('label', null, h('span', null, t('board.rate')), sat),
  h('label', null, h('span', null, t('field.solved')), solved), msg, h('button.primary', { type: 'submit' }, t('submit')));
}


// metoo remembers the cases this browser has said "me too" on.
const METOO = 'xiuhua.metoo';
const meToos = () => JSON.parse(localStorage.getItem(METOO) || '[]');

async function report() {
  const cats = (await api('GET', '/api/v1/catalog?public=true')).categories;
  const { VectorMap, loadLayer } = await import('./map.js');
  let chosen = null, point = null, place = null, seq = 0, pinnedBy = 'map', asked = null;
  // Where: my location, a street or community by name, or a tap.
  const whereLine = h('p', { id: 'r-where', role: 'status' }, t('public.where.none'));
  const locate = h('button', { type: 'button', id: 'use-location' }, t('public.locate'));
  const addr = h('input', { id: 'r-place', type: 'search', autocomplete: 'off', placeholder: t('public.place.ph') });
  const addrSug = h('ul.suggest', { id: 'r-place-list' });
  const mapBox = h('div.report-map', { id: 'r-map' });
  // What: the category, then what is already reported near the pin.
  const q = h('input', { id: 'r-category', type: 'search', autocomplete: 'off', placeholder: t('phone.category.ph') });
  const sug = h('ul.suggest', { id: 'r-category-list' });
  const catChosen = h('div.muted', { id: 'r-category-chosen' });
  const qBox = h('div', { id: 'r-questions' });
  const nearby = h('section', { id: 'r-nearby', hidden: true });
  const desc = h('textarea', { id: 'r-description', maxlength: 2000 });
  const detail = h('input', { id: 'r-address', maxlength: 200 });
  const name = h('input', { id: 'r-name', maxlength: 50 }), phone = h('input', { id: 'r-phone', type: 'tel', maxlength: 20 });
  const email = h('input', { id: 'r-email', type: 'email', maxlength: 254, autocomplete: 'email' });
  const updates = h('input', { id: 'r-updates', type: 'checkbox' });
  const photoIds = [];
  const photoList = h('div.photos');
  const photoMsg = h('span.err');
  const photoIn = h('input', { type: 'file', id: 'r-photos', accept: 'image/jpeg,image/png,image/webp', capture: 'environment', multiple: true });
  const msg = h('p.err', { role: 'alert' });

  const map = new VectorMap(mapBox, { onPoint: (lon, lat) => pin(lon, lat, 'map'),
    onPick: c => document.querySelector(`#r-nearby li[data-number="${c.number}"]`)?.scrollIntoView({ block: 'center' }) });
  map.legend.textContent = t('public.map.legend.report');
  const zoomTo = (lon, lat) => map.fit([lon - 0.004, lat - 0.003, lon + 0.004, lat + 0.003]);

  // pin puts the report at a point, names its street and community and
  // lists the open problems around it.
  async function pin(lon, lat, how) {
    point = [lon, lat]; pinnedBy = how;
    map.setMarker(lon, lat);
    whereLine.textContent = t('public.where.wait');
    await lookAround();
  }
  async function lookAround() {
    if (!point) return;
    const how = pinnedBy;
    const mine = ++seq;
    try {
      const r = await api('GET', `/api/v1/public/nearby?lon=${point[0].toFixed(6)}&lat=${point[1].toFixed(6)}${chosen ? '&category=' + chosen.id : ''}`);
      if (mine !== seq) return;
      place = r.place;
      whereLine.textContent = place ? t(`public.where.${how || 'map'}`, { place: where(place) }) : t('public.where.outside');
      whereLine.className = place ? 'where-ok' : 'err';
      showNearby(r.cases);
      map.setCases(r.cases.filter(c => c.lon).map(c => ({ number: c.number, lon: c.lon, lat: c.lat, state: c.state })));
    } catch (e) { if (mine === seq) whereLine.textContent = publicErr(e); }
  }
  function showNearby(cases) {
    nearby.hidden = !chosen && !cases.length;
    const done = meToos();
    nearby.replaceChildren(h('h2', null, chosen ? t('public.nearby.same', { n: cases.length, category: chosen.name }) : t('public.nearby.any', { n: cases.length })),
      cases.length ? h('p.muted', null, t('public.nearby.help')) : h('p.muted', null, t('public.nearby.none')),
      h('ul.nearby', null, cases.map(c => h('li', { 'data-number': c.number },
        h('div', null, h('b', null, c.category_name), ' ', stateTag(c.state)),
        h('div.muted', null, where(c), ' · ', t('public.reported', { at: fmtTime(c.reported_at) }), c.me_too ? ' · ' + t('public.metoo.count', { n: c.me_too }) : ''),
        h('div.actions', null, done.includes(c.number) ? h('span.muted', null, t('public.metoo.done')) :
          h('button.primary', { type: 'button', 'data-metoo': c.number, onclick: () => meToo(c) }, t('public.metoo')),
        h('a', { href: `#follow/${c.number}` }, t('public.follow')))))));
  }
  async function meToo(c) {
    msg.textContent = '';
    try {
      const body = point ? { lon: point[0], lat: point[1] } : {};
      // One key per browser: saying it again on the same case counts once.
      let id = localStorage.getItem('xiuhua.browser');
      if (!id) localStorage.setItem('xiuhua.browser', id = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
      const r = await api('POST', `/api/v1/public/cases/${c.number}/me-too`, body, { 'Idempotency-Key': id });
      localStorage.setItem(METOO, JSON.stringify([...meToos(), c.number].slice(-200)));
      main.replaceChildren(h('section.panel', { id: 'metoo-done' }, h('h1', null, t('public.metoo.thanks')),
        h('p', null, t('public.metoo.explain', { n: r.me_too })),
        h('p', null, t('board.keep'), ' ', h('b', { id: 'metoo-number' }, r.number)),
        h('a', { href: `#follow/${r.number}`, id: 'metoo-follow' }, t('board.follow'))));
    } catch (e) { msg.textContent = publicErr(e); nearby.prepend(h('p.err', { role: 'alert' }, publicErr(e))); }
  }

  locate.onclick = () => {
    const fallback = why => { whereLine.textContent = `${why} ${t('public.locate.fallback')}`; whereLine.className = 'err'; addr.focus(); };
    if (!navigator.geolocation || !window.isSecureContext) { fallback(t('public.locate.none')); return; }
    whereLine.textContent = t('public.locate.wait'); whereLine.className = '';
    navigator.geolocation.getCurrentPosition(async p => {
      zoomTo(p.coords.longitude, p.coords.latitude);
      await pin(p.coords.longitude, p.coords.latitude, 'gps');
      if (p.coords.accuracy > 100 && place) whereLine.textContent += ' ' + t('public.locate.poor', { m: Math.round(p.coords.accuracy) });
    }, err => fallback(t(err.code === 1 ? 'public.locate.denied' : err.code === 3 ? 'public.locate.timeout' : 'public.locate.failed')),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  };

  const places = await placeIndex(loadLayer);
  const pickPlace = p => {
    addr.value = p.full; addrSug.replaceChildren();
    const pad = 0.002;
    map.fit([p.box[0] - pad, p.box[1] - pad, p.box[2] + pad, p.box[3] + pad]);
    pin(p.at[0], p.at[1], 'search');
  };
  addr.addEventListener('input', () => addrSug.replaceChildren(...searchPlaces(places, addr.value).map(p =>
    h('li', { tabindex: 0, 'data-place': p.code, onclick: () => pickPlace(p), onkeydown: e => { if (e.key === 'Enter') pickPlace(p); } }, p.full))));
  addr.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); const f = addrSug.querySelector('li'); if (f) f.click(); } });

  const showCats = () => sug.replaceChildren(...searchCategories(cats, q.value, 8).map(c => h('li', { tabindex: 0, 'data-category': c.id,
    onclick: () => { chosen = c; q.value = c.name; catChosen.textContent = t('public.category.chosen', { name: c.name }); asked = questions(qBox, c); sug.replaceChildren(); lookAround(); },
    onkeydown: e => { if (e.key === 'Enter') e.currentTarget.click(); } }, c.name)));
  q.addEventListener('input', showCats);

  photoIn.addEventListener('change', async () => {
    photoMsg.textContent = '';
    for (const f of photoIn.files) {
      if (photoIds.length >= 4) break;
      try {
        const r = await api('POST', '/api/v1/public/photos', f);
        photoIds.push(r.id);
        photoList.append(h('img', { src: `/api/v1/photos/${r.id}?thumb=1`, alt: f.name }));
      } catch (e) { photoMsg.textContent = publicErr(e); }
    }
    photoIn.value = '';
  });

  const form = h('form.panel.phone', { id: 'resident-form', onsubmit: async e => {
    e.preventDefault();
    msg.textContent = '';
    if (!point) { msg.textContent = t('public.need.point'); return; }
    if (!place) { msg.textContent = t('public.where.outside'); return; }
    if (!chosen) { msg.textContent = t('phone.need.category'); return; }
    if (!desc.value.trim()) { msg.textContent = t('public.need.description'); desc.focus(); return; }
    const unanswered = asked && asked.missing();
    if (unanswered) { msg.textContent = unanswered; return; }
    try {
      const c = await api('POST', '/api/v1/public/reports', { category: chosen.id, description: desc.value.trim(), address: detail.value.trim(), lon: point[0], lat: point[1], name: name.value.trim(), phone: phone.value.trim(), email: email.value.trim(), updates: updates.checked, photos: photoIds, attributes: asked ? asked.answers() : undefined },
        { 'Idempotency-Key': form.dataset.key });
      main.replaceChildren(h('section.panel', null, h('h1', null, t('board.reported')), h('p', null, t('board.keep'), ' ', h('b', { id: 'new-number' }, c.number)), h('a', { href: `#follow/${c.number}` }, t('board.follow'))));
    } catch (err) { msg.textContent = publicErr(err); }
  } }, h('h1', null, t('board.report')), h('p.muted', null, t('board.privacy')),
  h('h2', null, t('public.step.where')),
  h('div.actions', null, locate), h('label', null, h('span', null, t('public.place')), addr), addrSug,
  h('div.muted', null, t('board.pick')), mapBox, whereLine,
  h('h2', null, t('public.step.what')),
  h('label', null, h('span', null, t('phone.category') + ' *'), q), sug, catChosen, qBox,
  nearby,
  h('h2', null, t('public.step.new')),
  h('label', null, h('span', null, t('phone.description') + ' *'), desc),
  h('label', null, h('span', null, t('board.photos')), photoIn), photoMsg, photoList,
  h('label', null, h('span', null, t('public.address')), detail),
  h('label', null, h('span', null, t('board.name')), name), h('label', null, h('span', null, t('board.phone')), phone),
  h('label', null, h('span', null, t('board.email')), email), h('label', { style: 'display:flex;gap:.5rem;align-items:center' }, updates, h('span', null, t('board.updates'))), msg,
  h('button.primary', { type: 'submit', id: 'r-submit' }, t('phone.submit')));
  form.dataset.key = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
  main.replaceChildren(form);
  q.addEventListener('focus', showCats); // suggestions once asked for, not pushing the form down before
  await map.ready;
}

async function route() {
  // The links of alert mails: /alerts/confirm/TOKEN, /alerts/unsubscribe/TOKEN.
  const link = location.pathname.match(/^\/alerts\/(confirm|unsubscribe)\/([^/]+)$/);
  if (link && !location.hash) {
    const { confirm, unsubscribe } = await import('./alerts.js');
    await (link[1] === 'confirm' ? confirm : unsubscribe)(main, decodeURIComponent(link[2]), publicErr);
    main.dataset.page = link[1];
    return;
  }
  const [page, arg] = location.hash.replace(/^#/, '').split('/');
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.getAttribute('href') === `#${page || 'list'}`);
  main.dataset.page = '';
  try {
    if (page === 'follow') await follow(arg);
    else if (page === 'report') await report();
    else if (page === 'alerts') await (await import('./alerts.js')).alerts(main, publicErr);
    else await list();
    main.dataset.page = page || 'list';
  } catch (e) { main.replaceChildren(h('p.err', null, publicErr(e))); }
}

await loadMessages();
window.addEventListener('hashchange', route);
route();
