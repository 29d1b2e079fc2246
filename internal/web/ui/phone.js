// The field phone: my to-dos first (checks and verifications in my grids),
// then reporting with the camera and GPS (or a point on the map), a
// category found by Chinese text or pinyin initials, and my grids' open
// cases. A report is kept in this phone's outbox (IndexedDB), with its
// photos as they were taken and its Idempotency-Key, until the server has
// it: a flaky connection or none at all neither loses it, nor its photos,
// nor files it twice, also across a reload.
import { ApiError, api, catName, catalog, errText, fmtTime, h, questions, searchCategories, stateTag, t, toast, uploadPhoto, workLeft } from './lib.js';
import { renderCase } from './casepanel.js';

// The outbox: one IndexedDB store of items {key, user, at, body, photos},
// each photo either {id} (uploaded) or {blob, name} (taken offline).
const DB = 'xiuhua-phone', STORE = 'outbox';
let dbP;
// A page that holds the database open closes it when another page (a
// newer version, or the same page loaded again while this one unloads)
// asks to upgrade it; otherwise that page's open waits, "blocked", and its
// to-dos stay at 加载中… for good.
function db() {
  dbP ||= new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    // Seen in Chromium after a navigation cut the first open's upgrade
    // short: no answer at all, for good. The outbox is then given up for
    // this page's life (the next load opens it again) instead of holding
    // up the page.
    const late = setTimeout(() => reject(new Error('the outbox (IndexedDB) did not answer')), 5000);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'key' });
    r.onsuccess = () => {
      clearTimeout(late);
      const d = r.result;
      d.onversionchange = () => { d.close(); dbP = null; };
      resolve(d);
    };
    r.onerror = () => { clearTimeout(late); dbP = null; reject(r.error); };
  });
  return dbP;
}
async function store(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}
const putItem = item => store('readwrite', s => s.put(item));
const dropItem = key => store('readwrite', s => s.delete(key));
// outbox lists user's queued reports, oldest first.
export async function outbox(user) {
  const all = await store('readonly', s => s.getAll());
  return all.filter(x => x.user === user).sort((a, b) => a.at - b.at);
}

// A refusal that waiting will not change (4xx other than timeouts and rate
// limits); anything else is tried again later.
const refused = e => e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;

// Reports kept in localStorage by an older version of this page move to
// the outbox once.
async function adoptOld(user) {
  const old = JSON.parse(localStorage.getItem('xiuhua.outbox') || '[]');
  for (const x of old) await putItem({ key: x.key, user, at: x.at || Date.now(), body: x.body, photos: (x.body.photos || []).map(id => ({ id })) });
  localStorage.removeItem('xiuhua.outbox');
}

// flush sends user's queued reports oldest first: first the photos taken
// offline (each upload kept as soon as it is done), then the report with
// their ids. A refused report is dropped with its reason shown, a refused
// photo is dropped from its report; a network or server failure waits for
// the next try. One flush at a time.
let flushing = null, again = false;
export function flush(user, onSent) {
  // A report queued while a flush runs (which read the outbox before it)
  // is sent by one more pass, not left for the next trigger.
  if (flushing) { again = true; return flushing; }
  flushing = (async () => {
    try {
      do {
        again = false;
        if (!(await flushOnce(user, onSent))) return; // offline or overloaded: keep them for later
      } while (again);
    } finally { flushing = null; }
  })();
  return flushing;
}

// flushOnce sends what the outbox holds now; false when the server could
// not be reached and the rest waits.
async function flushOnce(user, onSent) {
  for (const item of await outbox(user)) {
    try {
      for (const ph of item.photos) {
        if (ph.id || ph.refused) continue;
        try { ph.id = await uploadPhoto(ph.blob); delete ph.blob; } catch (e) {
          if (!refused(e)) throw e;
          ph.refused = true; delete ph.blob; onSent(null, e);
        }
        await putItem(item);
      }
      const body = { ...item.body, photos: item.photos.filter(p => p.id).map(p => p.id) };
      const c = await api('POST', '/api/v1/cases', body, { 'Idempotency-Key': item.key });
      await dropItem(item.key);
      onSent(c, null);
    } catch (e) {
      if (refused(e)) { await dropItem(item.key); onSent(null, e); continue; }
      return false;
    }
  }
  return true;
}

// photoPicker: photos for a report. Each is uploaded at once when the
// server can be reached (a refused file is said so, and left out); when it
// cannot, the photo itself is kept and goes with the report.
function photoPicker(photos) {
  const list = h('div.photos');
  const msg = h('span.err');
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment', multiple: true, 'data-field': 'photos' });
  input.addEventListener('change', async () => {
    msg.textContent = '';
    for (const f of input.files) {
      if (photos.length >= 9) break;
      let ph;
      try { ph = { id: await uploadPhoto(f) }; } catch (e) {
        if (refused(e)) { msg.textContent = errText(e); continue; }
        ph = { blob: f, name: f.name }; // offline: the photo goes with the report
      }
      photos.push(ph);
      list.append(h('img', { src: ph.id ? `/api/v1/photos/${ph.id}?thumb=1` : URL.createObjectURL(f), alt: f.name, 'data-kept': ph.id ? 'uploaded' : 'offline' }));
    }
    input.value = '';
  });
  return h('div', null, input, msg, list);
}

export async function render(main, me) {
  const cat = await catalog();
  let chosen = null, point = null, asked = null;
  const photos = [];
  const qBox = h('div', { id: 'questions' });
  const catInput = h('input', { id: 'category-search', type: 'search', autocomplete: 'off', placeholder: t('phone.category.ph') });
  const catList = h('ul.suggest', { id: 'category-list', role: 'listbox', 'aria-label': t('phone.category') });
  const catChosen = h('div.muted', { id: 'category-chosen' }, t('phone.category.none'));
  const showCats = () => {
    catList.replaceChildren(...searchCategories(cat.list, catInput.value).map(c => h('li', { role: 'option', tabindex: 0, 'data-category': c.id,
      onclick: () => { chosen = c; catChosen.textContent = `${c.name}（${c.id}）`; asked = questions(qBox, c); catList.replaceChildren(); catInput.value = c.name; },
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
  const refreshPending = async () => {
    const items = await outbox(me.username).catch(() => []);
    const n = items.length, kept = items.reduce((k, x) => k + x.photos.filter(p => p.blob).length, 0);
    pending.hidden = n === 0; pending.dataset.n = n;
    pending.textContent = t('phone.outbox', { n }) + (kept ? ' ' + t('phone.outbox.photos', { n: kept }) : '');
  };
  const sent = (c, err) => {
    if (c) { toast(t('phone.sent', { number: c.number })); pending.dataset.sent = Number(pending.dataset.sent || 0) + 1; pending.dataset.last = c.number; }
    if (err) msg.textContent = errText(err);
    refreshPending(); loadMine();
  };
  const form = h('form.panel', { id: 'report-form', onsubmit: async e => {
    e.preventDefault();
    msg.textContent = '';
    if (!chosen) { msg.textContent = t('phone.need.category'); return; }
    if (!point) { msg.textContent = t('phone.need.point'); return; }
    const unanswered = asked && asked.missing();
    if (unanswered) { msg.textContent = unanswered; return; }
    const body = { category: chosen.id, description: desc.value.trim(), address: addr.value.trim(), lon: point.lon, lat: point.lat,
      urgency: urgent.checked ? 'urgent' : 'normal', attributes: asked ? asked.answers() : undefined };
    try {
      await putItem({ key: crypto.randomUUID(), user: me.username, at: Date.now(), body, photos: photos.map(p => ({ ...p })) });
    } catch (err) { msg.textContent = t('phone.outbox.failed') + ' ' + (err && err.message || ''); return; }
    await refreshPending();
    form.reset(); chosen = null; point = null; asked = null; qBox.replaceChildren(); photos.length = 0; catChosen.textContent = t('phone.category.none');
    form.querySelector('.photos').replaceChildren(); where.textContent = t('phone.where.none');
    if (map) map.setMarker();
    await flush(me.username, sent);
  } },
  h('h2', null, t('phone.report')),
  h('label', null, h('span', null, t('phone.category') + ' *'), catInput), catList, catChosen, qBox,
  h('label', null, h('span', null, t('phone.description')), desc),
  h('label', null, h('span', null, t('phone.photos')), photoPicker(photos)),
  h('div', null, h('span.muted', null, t('phone.where') + ' *')), where, h('div.actions', null, gps, showMap), mapBox,
  h('label', null, h('span', null, t('phone.address')), addr),
  h('label', null, urgent, ' ', t('phone.urgent')),
  msg, h('button.primary', { type: 'submit', id: 'submit-report' }, t('phone.submit')), pending);

  const todo = h('section.panel', { id: 'todo' }, h('p.muted', null, t('app.loading')));
  const mine = h('section.panel', { id: 'mine' }, h('p.muted', null, t('app.loading')));
  const myReports = h('section.panel', { id: 'mine-reported' });
  const detail = h('section.panel', { id: 'detail', hidden: true });
  async function loadMine() {
    try {
      const [check, verify, open, reported] = await Promise.all([
        api('GET', '/api/v1/cases?state=pending_check&limit=100'), api('GET', '/api/v1/cases?state=reported&limit=100'), api('GET', '/api/v1/cases?limit=50'),
        api('GET', '/api/v1/cases?mine=true&limit=20')]);
      const row = c => h('tr.pick', { tabindex: 0, 'data-number': c.number, onclick: () => openCase(c.number), onkeydown: e => { if (e.key === 'Enter') openCase(c.number); } },
        h('td', null, catName(cat, c.category), h('div.muted', null, c.number, ' · ', fmtTime(c.reported_at))),
        h('td', null, stateTag(c.state), h(c.work_left_minutes < 0 ? 'div.late' : 'div.muted', null, workLeft(c.work_left_minutes))));
      verify.cases = verify.cases.filter(c => !c.verified); // a grid worker's own reports are seen on site already
      todo.replaceChildren(
        h('h2', null, t('phone.checks', { n: check.cases.length })), check.cases.length ? h('table', { id: 'checks' }, check.cases.map(row)) : h('p.muted', null, t('centre.empty')),
        h('h2', null, t('phone.verify', { n: verify.cases.length })), verify.cases.length ? h('table', { id: 'verify' }, verify.cases.map(row)) : h('p.muted', null, t('centre.empty')));
      const rest = open.cases.filter(c => c.state !== 'closed' && c.state !== 'voided');
      mine.replaceChildren(h('h2', null, t('phone.mine')), rest.length ? h('table', null, rest.map(row)) : h('p.muted', null, t('centre.empty')));
      // What I reported, closed ones too: how each one ended.
      myReports.replaceChildren(h('h2', null, t('phone.myreports')),
        reported.cases.length ? h('table', { id: 'my-reports' }, reported.cases.map(row)) : h('p.muted', null, t('phone.myreports.none')));
    } catch (e) { todo.replaceChildren(h('p.err', null, errText(e))); }
  }
  async function openCase(n) {
    detail.hidden = false;
    try { await renderCase(detail, n, me, () => loadMine()); detail.scrollIntoView(); } catch (e) { detail.replaceChildren(h('p.err', null, errText(e))); }
  }
  // To-dos first, the case opened from them under them, then reporting.
  main.replaceChildren(h('div.phone', null, todo, detail, form, myReports, mine));
  catInput.addEventListener('focus', showCats); // suggestions once asked for, not pushing the form down before
  // The to-dos do not wait for the outbox.
  const todos = loadMine().then(() => performance.mark('xiuhua:todo:phone')); // the start-page benchmark reads it
  await adoptOld(me.username).catch(() => {});
  await refreshPending();
  // Sent again when the phone is back online, and every 10 s while the
  // outbox holds anything (the online event does not fire on every
  // network's return).
  const retry = () => { if (!pending.hidden) flush(me.username, sent); };
  window.removeEventListener('online', render.online);
  render.online = retry;
  window.addEventListener('online', retry);
  clearInterval(render.timer);
  render.timer = setInterval(retry, 10000);
  await Promise.all([todos, flush(me.username, sent).catch(() => {})]);
}
