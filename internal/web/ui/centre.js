// The command centre: the queue to verify, register, dispatch and close;
// the district map with cases by state; a case in full with its actions.
// Keyboard: j/k or arrows move in the queue, Enter opens, / searches.
import { api, catalog, catName, errText, fmtTime, h, stateTag, t, workLeft } from './lib.js';
import { VectorMap } from './map.js';
import { renderCase } from './casepanel.js';
import { searchForm, showResult } from './search.js';
import { renderAlarms } from './alarms.js';

// The tabs are the server's waiting lists (GET /api/v1/queues), each
// with its count, then every case: the count on a tab and its rows come
// from one definition.
const queueIds = ['reported', 'registered', 'requests', 'disputes', 'supervised', 'dispatched', 'in_progress', 'pending_check', 'pending_close', 'suspended', 'overdue', 'callback', 'review'];
// 疑似: the alarms waiting for review, a list of alarms rather than cases,
// shown to the centre (the server counts it for them only).
const tabs = [...queueIds.map(id => ({ id, q: `queue=${id}` })), { id: 'suspected', alarms: true }, { id: 'all', q: '' }];

export async function render(main, me) {
  const cat = await catalog();
  const queue = h('div', { 'aria-label': t('centre.queue') });
  const detail = h('div.panel', { id: 'detail' }, h('p.muted', null, t('centre.pick')));
  const mapBox = h('div');
  // A search looks through every case (a number, a day's digits, words
  // of the description or address, and the filters), not only a tab's list.
  const form = searchForm(cat, () => {
    current = tabs[tabs.length - 1]; tabBar.querySelectorAll('button').forEach(b => b.classList.toggle('on', b.dataset.tab === current.id));
    loadQueue();
  });
  const search = form.text;
  const tabBar = h('div.tabs', { role: 'tablist' });
  let current = tabs[0], rows = [], pos = -1;
  let map = null; // made once the list is drawn (below)
  let all = localStorage.getItem('xiuhua.map.all') === '1';
  const allBox = h('input', { type: 'checkbox', id: 'map-all', checked: all || undefined, onchange: () => {
    all = allBox.checked; localStorage.setItem('xiuhua.map.all', all ? '1' : '0'); if (map) loadMap(map.bbox());
  } });
  async function loadMap(bbox) {
    try {
      const r = await api('GET', `/api/v1/map?bbox=${bbox.map(v => v.toFixed(5)).join(',')}&limit=10000${all ? '&state=all' : ''}`);
      performance.mark('xiuhua:map-data');
      map.setCases(r.points, r.clusters);
      map.legend.textContent = t('map.count', { n: r.total });
    } catch (e) { map.legend.textContent = errText(e); }
  }
  async function open(number) {
    if (map) map.select(number);
    try {
      await renderCase(detail, number, me, () => loadQueue());
      // One column on a phone: the file is below the list and the map.
      if (matchMedia('(max-width: 900px)').matches) detail.scrollIntoView({ block: 'start' });
    } catch (e) { detail.replaceChildren(h('p.err', null, errText(e))); }
  }
  async function loadCounts() {
    try {
      const r = await api('GET', '/api/v1/queues');
      for (const q of r.queues) {
        const b = tabBar.querySelector(`[data-tab="${q.id}"] .count`);
        if (b) { b.textContent = String(q.count); b.classList.toggle('zero', q.count === 0); }
      }
      return r.queues;
    } catch { return []; /* the tabs keep their last counts */ }
  }
  async function loadQueue() {
    loadCounts();
    if (current.alarms) { form.result.replaceChildren(); rows = []; return renderAlarms(queue, cat, () => loadQueue()); }
    // On "all" the whole search; on a waiting list its text only.
    const p = current.id === 'all' ? form.params() : new URLSearchParams(search.value.trim() ? { q: search.value.trim() } : {});
    const all = current.id === 'all' && [...p.keys()].length;
    const qs = [current.q, String(p), 'limit=100', all ? 'count=true' : ''].filter(Boolean).join('&');
    form.result.replaceChildren();
    queue.replaceChildren(h('p.muted', null, t('app.loading')));
    try {
      const r = await api('GET', '/api/v1/cases?' + qs);
      rows = r.cases;
      if (all) showResult(form.result, p, r);
      pos = -1;
      const body = h('tbody');
      for (const [i, c] of rows.entries()) {
        body.append(h('tr.pick', { tabindex: 0, 'data-number': c.number, onclick: () => { pos = i; mark(); open(c.number); } },
          h('td', null, h('div', null, catName(cat, c.category)), h('div.muted', null, c.number, ' · ', fmtTime(c.reported_at))),
          h('td', null, stateTag(c.state), c.work_left_minutes !== undefined ? h(c.work_left_minutes < 0 ? 'div.late' : 'div.muted', null, workLeft(c.work_left_minutes)) : '')));
      }
      queue.replaceChildren(rows.length ? h('table', null, body) : h('p.muted', null, t('centre.empty')));
    } catch (e) { queue.replaceChildren(h('p.err', null, errText(e))); }
  }
  function mark() {
    queue.querySelectorAll('tr').forEach((tr, i) => tr.classList.toggle('on', i === pos));
    const tr = queue.querySelectorAll('tr')[pos];
    if (tr) tr.focus();
  }
  for (const tb of tabs) {
    tabBar.append(h('button', { type: 'button', role: 'tab', 'data-tab': tb.id, onclick: e => {
      current = tb; tabBar.querySelectorAll('button').forEach(b => b.classList.toggle('on', b === e.currentTarget)); loadQueue();
    } }, t(`centre.tab.${tb.id}`), tb.id === 'all' ? '' : h('span.count', { 'data-count': tb.id }, '…')));
  }
  // The day starts on the list the link names (#/centre/callback), or on
  // the first list with something waiting.
  const counts = await loadCounts();
  if (!counts.some(q => q.id === 'suspected')) tabBar.querySelector('[data-tab="suspected"]').remove();
  const named = location.hash.replace(/^#\/?/, '').split('/')[1];
  current = tabs.find(tb => tb.id === named) || tabs.find(tb => counts.some(q => q.id === tb.id && q.count > 0)) || tabs[0];
  tabBar.querySelector(`[data-tab="${current.id}"]`).classList.add('on');
  main.onkeydown = e => {
    if (e.target.matches('input,textarea,select')) return;
    if (e.key === '/') { e.preventDefault(); search.focus(); }
    if ((e.key === 'j' || e.key === 'ArrowDown') && rows.length && e.target.closest('tr,body,main')) { pos = Math.min(rows.length - 1, pos + 1); mark(); e.preventDefault(); }
    if ((e.key === 'k' || e.key === 'ArrowUp') && rows.length && e.target.closest('tr,body,main')) { pos = Math.max(0, pos - 1); mark(); e.preventDefault(); }
    if (e.key === 'Enter' && pos >= 0 && e.target.matches('tr')) open(rows[pos].number);
  };
  main.replaceChildren(h('div.centre', null,
    h('section.panel', null, h('h2', null, t('centre.queue')), form.el, tabBar, queue),
    h('div', { style: 'display:flex;flex-direction:column;gap:.3rem;min-height:0' }, h('label', null, allBox, ' ', t('centre.mapall')), h('div', { style: 'flex:1;min-height:0;display:flex' }, mapBox)),
    detail));
  mapBox.style.flex = '1';
  // The to-do list first, then the map: the map's layer (every unit grid,
  // about 1 MB) is parsed and built on the main thread, and a list whose
  // answer came during that waited for it (about 300 ms).
  await loadQueue();
  performance.mark('xiuhua:todo:centre'); // the start-page benchmark reads it
  map = new VectorMap(mapBox, {
    onPick: p => open(p.number),
    onView: bbox => loadMap(bbox),
  });
  await map.ready;
  await loadMap(map.bbox());
}
