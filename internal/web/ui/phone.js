// The field phone: report with the camera and GPS (or a point on the map),
// a category found by Chinese text or pinyin initials, my grids' open cases
// and my check tasks. A report is kept in this phone's outbox with its
// Idempotency-Key until the server has it, so a flaky connection neither
// loses it nor files it twice.
import { api, ApiError, catalog, catName, errText, fmtTime, h, searchCategories, stateTag, t, toast, workLeft } from './lib.js';
import { photoInput, renderCase } from './casepanel.js';

const OUTBOX = 'xiuhua.outbox';
const outbox = () => JSON.parse(localStorage.getItem(OUTBOX) || '[]');
const saveOutbox = items => localStorage.setItem(OUTBOX, JSON.stringify(items));

// flush sends queued reports oldest first; a refusal (4xx) is dropped with
// its reason shown, a network or server failure waits for the next try.
export async function flush(onSent) {
  for (const item of outbox()) {
    try {
      const c = await api('POST', '/api/v1/cases', item.body, { 'Idempotency-Key': item.key });
      saveOutbox(outbox().filter(x => x.key !== item.key));
      onSent(c, null);
    } catch (e) {
      if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
        saveOutbox(outbox().filter(x => x.key !== item.key));
        onSent(null, e);
        continue;
      }
      return; // offline or overloaded: keep it for later
    }
  }
}

export async function render(main, me) {
  const cat = await catalog();
  let chosen = null, point = null;
  const photoIds = [];
  const catInput = h('input', { id: 'category-search', type: 'search', autocomplete: 'off', placeholder: t('phone.category.ph') });
  const catList = h('ul.suggest', { role: 'listbox' });
  const catChosen = h('div.muted', { id: 'category-chosen' }, t('phone.category.none'));
  const showCats = () => {
    catList.replaceChildren(...searchCategories(cat.list, catInput.value).map(c => h('li', { role: 'option', tabindex: 0, 'data-category': c.id,
      onclick: () => { chosen = c; catChosen.textContent = `${c.name}（${c.id}）`; catList.replaceChildren(); catInput.value = c.name; },
      onkeydown: e => { if (e.key === 'Enter') e.currentTarget.click(); } }, c.name, ' ', h('span.muted', null, c.id))));
  };
  catInput.addEventListener('input', showCats);
  const desc = h('textarea', { id: 'description', maxlength: 2000 });
  const addr = h('input', { id: 'address', maxlength: 200 });
  const urgent = h('input', { type: 'checkbox', id: 'urgent' });
  const where = h('div.muted', { id: 'where' }, t('phone.where.none'));
  const mapBox = h('div');
  const setPoint = (lon, lat, how) => { point = { lon, lat }; where.textContent = t(`phone.where.${how}`, { lon: lon.toFixed(6), lat: lat.toFixed(6) }); };
  const gps = h('button', { type: 'button', id: 'gps', onclick: () => {
    if (!navigator.geolocation) { where.textContent = t('phone.gps.none'); return; }
    where.textContent = t('phone.gps.wait');
    navigator.geolocation.getCurrentPosition(p => {
      setPoint(p.coords.longitude, p.coords.latitude, 'gps');
      if (map) map.setMarker(point.lon, point.lat);
      if (p.coords.accuracy > 50) where.textContent += ' ' + t('phone.gps.poor', { m: Math.round(p.coords.accuracy) });
    }, () => { where.textContent = t('phone.gps.failed'); }, { enableHighAccuracy: true, timeout: 15000 });
  } }, t('phone.gps'));
  let map = null;
  const showMap = h('button', { type: 'button', id: 'show-map', onclick: async () => {
    showMap.hidden = true;
    const { VectorMap } = await import('./map.js'); // lazy: the map's layer is large
    map = new VectorMap(mapBox, { onPoint: (lon, lat) => setPoint(lon, lat, 'map') });
    mapBox.style.height = '260px';
    await map.ready;
    if (me.grids && me.grids.length) {
      const mine = await api('GET', '/api/v1/cases?limit=200');
      const near = mine.cases.find(c => c.lon);
      if (near) map.fit([near.lon - 0.006, near.lat - 0.004, near.lon + 0.006, near.lat + 0.004]);
    }
    if (point) map.setMarker(point.lon, point.lat);
  } }, t('phone.map'));
  const pending = h('p.queue-note', { id: 'outbox', hidden: true });
  const msg = h('p.err', { role: 'alert' });
  const refreshPending = () => { const n = outbox().length; pending.hidden = n === 0; pending.textContent = t('phone.outbox', { n }); };
  const sent = (c, err) => {
    if (c) toast(t('phone.sent', { number: c.number }));
    if (err) msg.textContent = errText(err);
    refreshPending(); loadMine();
  };
  const form = h('form.panel', { id: 'report-form', onsubmit: async e => {
    e.preventDefault();
    msg.textContent = '';
    if (!chosen) { msg.textContent = t('phone.need.category'); return; }
    if (!point) { msg.textContent = t('phone.need.point'); return; }
    const body = { category: chosen.id, description: desc.value.trim(), address: addr.value.trim(), lon: point.lon, lat: point.lat,
      urgency: urgent.checked ? 'urgent' : 'normal', photos: [...photoIds] };
    const items = outbox();
    items.push({ key: crypto.randomUUID(), body, at: Date.now() });
    saveOutbox(items);
    refreshPending();
    form.reset(); chosen = null; point = null; photoIds.length = 0; catChosen.textContent = t('phone.category.none');
    form.querySelector('.photos').replaceChildren(); where.textContent = t('phone.where.none');
    if (map) map.setMarker();
    await flush(sent);
  } },
  h('h2', null, t('phone.report')),
  h('label', null, h('span', null, t('phone.category') + ' *'), catInput), catList, catChosen,
  h('label', null, h('span', null, t('phone.description')), desc),
  h('label', null, h('span', null, t('phone.photos')), photoInput(photoIds)),
  h('div', null, h('span.muted', null, t('phone.where') + ' *')), where, h('div.actions', null, gps, showMap), mapBox,
  h('label', null, h('span', null, t('phone.address')), addr),
  h('label', null, urgent, ' ', t('phone.urgent')),
  msg, h('button.primary', { type: 'submit', id: 'submit-report' }, t('phone.submit')), pending);

  const mine = h('div', { id: 'mine' });
  const detail = h('div', { id: 'detail' });
  async function loadMine() {
    try {
      const [check, verify, open] = await Promise.all([
        api('GET', '/api/v1/cases?state=pending_check&limit=100'), api('GET', '/api/v1/cases?state=reported&limit=100'), api('GET', '/api/v1/cases?limit=50')]);
      const row = c => h('tr.pick', { tabindex: 0, 'data-number': c.number, onclick: () => openCase(c.number), onkeydown: e => { if (e.key === 'Enter') openCase(c.number); } },
        h('td', null, catName(cat, c.category), h('div.muted', null, c.number, ' · ', fmtTime(c.reported_at))),
        h('td', null, stateTag(c.state), h(c.work_left_minutes < 0 ? 'div.late' : 'div.muted', null, workLeft(c.work_left_minutes))));
      mine.replaceChildren(
        h('h2', null, t('phone.checks', { n: check.cases.length })), check.cases.length ? h('table', null, check.cases.map(row)) : h('p.muted', null, t('centre.empty')),
        h('h2', null, t('phone.verify', { n: verify.cases.length })), verify.cases.length ? h('table', null, verify.cases.map(row)) : h('p.muted', null, t('centre.empty')),
        h('h2', null, t('phone.mine')), h('table', null, open.cases.filter(c => c.state !== 'closed' && c.state !== 'voided').map(row)));
    } catch (e) { mine.replaceChildren(h('p.err', null, errText(e))); }
  }
  async function openCase(n) {
    try { await renderCase(detail, n, me, () => loadMine()); detail.scrollIntoView(); } catch (e) { detail.replaceChildren(h('p.err', null, errText(e))); }
  }
  main.replaceChildren(h('div.phone', null, form, h('section.panel', null, mine), h('section.panel', null, detail)));
  refreshPending();
  showCats();
  window.addEventListener('online', () => flush(sent));
  clearInterval(render.timer);
  render.timer = setInterval(() => { if (outbox().length) flush(sent); }, 10000);
  await Promise.all([loadMine(), flush(sent)]);
}
