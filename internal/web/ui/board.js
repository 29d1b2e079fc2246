// The public board (问题挂牌): open and closed public problems on a list and
// a map, with their state and deadline; follow a case by its number and
// rate it once closed; report a problem. No personal data is shown.
import { api, catalog, errText, fmtTime, h, loadMessages, searchCategories, stateTag, t, toast } from './lib.js';

const main = document.getElementById('main');

async function list() {
  let status = 'open', cursor = '';
  const rows = h('tbody', { id: 'board-rows' });
  const more = h('button', { type: 'button', hidden: true }, t('board.more'));
  const mapBox = h('div', { style: 'height:380px' });
  const tabs = h('div.tabs', null, ['open', 'closed'].map(s => h('button', { type: 'button', 'data-status': s, class: s === status ? 'on' : '', onclick: e => {
    status = s; cursor = ''; rows.replaceChildren(); tabs.querySelectorAll('button').forEach(b => b.classList.toggle('on', b === e.currentTarget)); load();
  } }, t(`board.${s}`))));
  let map = null, points = [];
  async function load() {
    try {
      const r = await api('GET', `/api/v1/public/board?status=${status}${cursor ? '&cursor=' + cursor : ''}`);
      if (!cursor) points = [];
      for (const c of r.cases) {
        rows.append(h('tr', { 'data-number': c.number }, h('td', null, h('a', { href: `#follow/${c.number}` }, c.number)), h('td', null, c.category_name),
          h('td', null, stateTag(c.state), c.overdue ? h('span.late', null, ' ', t('case.overdue')) : ''),
          h('td', null, c.deadline ? fmtTime(c.deadline) : c.closed_at ? fmtTime(c.closed_at) : '')));
        points.push({ number: c.number, lon: c.lon, lat: c.lat, state: c.state, overdue: c.overdue });
      }
      cursor = r.next_cursor || '';
      more.hidden = !cursor;
      if (map) map.setCases(points);
    } catch (e) { rows.append(h('tr', null, h('td.err', { colspan: 4 }, errText(e)))); }
  }
  more.onclick = load;
  main.replaceChildren(h('h1', null, t('board.title')), h('p.muted', null, t('board.intro')), tabs,
    h('div.cols', { style: 'grid-template-columns:repeat(auto-fit,minmax(20rem,1fr))' },
      h('section.panel', null, h('table', null, h('tr', null, h('th', null, t('case.number')), h('th', null, t('case.category')), h('th', null, t('case.state')), h('th', null, t('board.deadline'))), rows), more),
      mapBox));
  await load();
  const { VectorMap } = await import('./map.js');
  map = new VectorMap(mapBox, { onPick: p => { location.hash = `follow/${p.number}`; } });
  await map.ready;
  map.setCases(points);
  performance.mark('xiuhua:ready:board'); // the browser benchmarks read it
}

async function follow(number) {
  const input = h('input', { id: 'follow-number', value: number || '', placeholder: 'C2026…', required: true });
  const out = h('div', { id: 'follow-result' });
  const form = h('form.panel', { onsubmit: e => { e.preventDefault(); location.hash = `follow/${input.value.trim()}`; } },
    h('h1', null, t('board.follow')), h('label', null, h('span', null, t('case.number')), input), h('button.primary', { type: 'submit' }, t('board.search')));
  main.replaceChildren(form, out);
  if (!number) return;
  try {
    const c = await api('GET', `/api/v1/public/cases/${encodeURIComponent(number)}`);
    out.replaceChildren(h('section.panel', null, h('h2', null, c.category_name, ' ', stateTag(c.state)),
      h('dl.kv', null, h('dt', null, t('case.number')), h('dd', null, c.number), h('dt', null, t('case.reported')), h('dd', null, fmtTime(c.reported_at)),
        c.deadline ? [h('dt', null, t('case.deadline')), h('dd', null, fmtTime(c.deadline), c.overdue ? h('span.late', null, ' ', t('case.overdue')) : '')] : null,
        c.closed_at ? [h('dt', null, t('board.closed_at')), h('dd', null, fmtTime(c.closed_at))] : null),
      h('ol.timeline', null, (c.steps || []).map(s => h('li', null, h('b', null, t(`state.${s.state}`)), ' ', h('span.muted', null, fmtTime(s.at))))),
      c.rateable ? rating(c) : c.rated ? h('p.muted', { id: 'rated' }, t('board.rated')) : null));
  } catch (e) { out.replaceChildren(h('p.err', { role: 'alert' }, errText(e))); }
}

function rating(c) {
  const phone = h('input', { id: 'rate-phone', type: 'tel', required: true });
  const sat = h('select', { id: 'rate-satisfied' }, h('option', { value: 'true' }, t('board.satisfied')), h('option', { value: 'false' }, t('board.unsatisfied')));
  const solved = h('select', { id: 'rate-solved' }, h('option', { value: 'true' }, t('yes')), h('option', { value: 'false' }, t('no')));
  const msg = h('p.err', { role: 'alert' });
  return h('form.form', { onsubmit: async e => {
    e.preventDefault();
    try {
      await api('POST', `/api/v1/public/cases/${c.number}/rating`, { phone: phone.value, satisfied: sat.value === 'true', solved: solved.value === 'true' });
      toast(t('board.thanks')); follow(c.number);
    } catch (err) { msg.textContent = errText(err); }
  } }, h('h3', null, t('board.rate')), h('label', null, h('span', null, t('board.phone')), phone), h('label', null, h('span', null, t('board.rate')), sat),
  h('label', null, h('span', null, t('field.solved')), solved), msg, h('button.primary', { type: 'submit' }, t('submit')));
}

async function report() {
  const cats = (await api('GET', '/api/v1/catalog?public=true')).categories;
  let chosen = null, point = null;
  const q = h('input', { id: 'r-category', type: 'search', autocomplete: 'off', placeholder: t('phone.category.ph') });
  const sug = h('ul.suggest');
  const show = () => sug.replaceChildren(...searchCategories(cats, q.value, 8).map(c => h('li', { tabindex: 0, onclick: () => { chosen = c; q.value = c.name; sug.replaceChildren(); } }, c.name)));
  q.addEventListener('input', show);
  const desc = h('textarea', { id: 'r-description', maxlength: 2000 });
  const addr = h('input', { id: 'r-address', maxlength: 200 });
  const name = h('input', { id: 'r-name', maxlength: 50 }), phone = h('input', { id: 'r-phone', type: 'tel', maxlength: 20 });
  const where = h('div.muted', null, t('phone.where.none'));
  const mapBox = h('div', { style: 'height:300px' });
  const photoIds = [];
  const photoList = h('div.photos');
  const photoMsg = h('span.err');
  const photoIn = h('input', { type: 'file', id: 'r-photos', accept: 'image/jpeg,image/png,image/webp', capture: 'environment', multiple: true });
  photoIn.addEventListener('change', async () => {
    photoMsg.textContent = '';
    for (const f of photoIn.files) {
      if (photoIds.length >= 4) break;
      try {
        const r = await api('POST', '/api/v1/public/photos', f);
        photoIds.push(r.id);
        photoList.append(h('img', { src: `/api/v1/photos/${r.id}?thumb=1`, alt: f.name }));
      } catch (e) { photoMsg.textContent = errText(e); }
    }
    photoIn.value = '';
  });
  const msg = h('p.err', { role: 'alert' });
  const form = h('form.panel.phone', { onsubmit: async e => {
    e.preventDefault();
    if (!chosen) { msg.textContent = t('phone.need.category'); return; }
    if (!point) { msg.textContent = t('phone.need.point'); return; }
    try {
      const c = await api('POST', '/api/v1/public/reports', { category: chosen.id, description: desc.value.trim(), address: addr.value.trim(), lon: point[0], lat: point[1], name: name.value.trim(), phone: phone.value.trim(), photos: photoIds });
      main.replaceChildren(h('section.panel', null, h('h1', null, t('board.reported')), h('p', null, t('board.keep'), ' ', h('b', { id: 'new-number' }, c.number)), h('a', { href: `#follow/${c.number}` }, t('board.follow'))));
    } catch (err) { msg.textContent = errText(err); }
  } }, h('h1', null, t('board.report')), h('p.muted', null, t('board.privacy')),
  h('label', null, h('span', null, t('phone.category') + ' *'), q), sug,
  h('label', null, h('span', null, t('phone.description')), desc),
  h('label', null, h('span', null, t('board.photos')), photoIn), photoMsg, photoList,
  h('div.muted', null, t('board.pick')), mapBox, where,
  h('label', null, h('span', null, t('phone.address')), addr),
  h('label', null, h('span', null, t('board.name')), name), h('label', null, h('span', null, t('board.phone')), phone), msg,
  h('button.primary', { type: 'submit' }, t('phone.submit')));
  main.replaceChildren(form);
  show();
  const { VectorMap } = await import('./map.js');
  new VectorMap(mapBox, { onPoint: (lon, lat) => { point = [lon, lat]; where.textContent = t('phone.where.map', { lon: lon.toFixed(6), lat: lat.toFixed(6) }); } });
}

async function route() {
  const [page, arg] = location.hash.replace(/^#/, '').split('/');
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.getAttribute('href') === `#${page || 'list'}`);
  try {
    if (page === 'follow') await follow(arg);
    else if (page === 'report') await report();
    else await list();
  } catch (e) { main.replaceChildren(h('p.err', null, errText(e))); }
}

await loadMessages();
await catalog().catch(() => null);
window.addEventListener('hashchange', route);
route();
