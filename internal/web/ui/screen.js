// The command display (指挥大屏): a dark 1920×1080 wall that needs no hands.
// It signs in once with a screen token (/screen?token=…, kept in this
// browser), reads GET /api/v1/dashboard every 30 s — 环比 and 同比 — and
// turns its panels every 10 s: the top streets, units and categories, the
// overdue cases and the supervision orders, beside the heat map of open
// cases and the week's sentence. No names, phones or reporters' words:
// visitors read the wall.
import { ApiError, api, errText, h, lang, loadMessages, t } from './lib.js';
import { VectorMap } from './map.js';

const params = new URLSearchParams(location.search);
let reload = false;
if (params.has('lang')) {
  const want = params.get('lang') === 'en' ? 'en' : 'zh-CN';
  localStorage.setItem('lang', want);
  params.delete('lang');
  reload = want !== lang;
}
if (params.has('token')) { // kept in this browser, and out of the address bar
  localStorage.setItem('screen-token', params.get('token'));
  params.delete('token');
}
history.replaceState(null, '', location.pathname + (params.size ? '?' + params : ''));
if (reload) location.reload();

const REFRESH = 30e3, TURN = 10e3, TOP = 10;
const main = document.getElementById('main');
const tz = 'Asia/Shanghai';

function clock() {
  const now = new Date(Date.now());
  document.getElementById('clock').textContent = now.toLocaleString(lang, { timeZone: tz, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

const fmtN = n => Number(n).toLocaleString(lang);

// change is one comparison's arrow and per cent, or a dash when the earlier
// span counted nothing.
function change(kind, f) {
  const label = t(`screen.${kind}`);
  if (!f || f.change_pct === undefined || f.change_pct === null) return h('span.flat', { 'data-cmp': kind, 'data-pct': '' }, `${label} —`);
  const p = f.change_pct, cls = p > 0 ? 'up' : p < 0 ? 'down' : 'flat', arrow = p > 0 ? '▲' : p < 0 ? '▼' : '＝';
  return h(`span.${cls}`, { 'data-cmp': kind, 'data-pct': p.toFixed(1) }, `${label} ${arrow} ${Math.abs(p).toFixed(1)}%`);
}

function stageBlock(id, title, note, mom, yoy) {
  return h('section.block', { id }, h('h2', null, title, h('small', null, note)),
    h('div.cards', null, ['reported', 'registered', 'dispatched', 'closed'].map(st => h('div.card', { 'data-stage': st },
      h('span.k', null, t(`screen.stage.${st}`)),
      h('b', { 'data-n': `${id}.${st}` }, fmtN(mom.stages[st].value)),
      h('div.cmp', null, change('mom', mom.stages[st]), change('yoy', yoy.stages[st]))))));
}

function topSlide(by, rows) {
  const max = Math.max(1, ...rows.map(r => r.reported));
  return h('div', null, h('h2', null, t(`screen.top.${by}`), h('small', null, t('screen.top.note'))),
    rows.length ? h('table.bars', { 'data-top': by }, h('tr', null, h('th', null, t(`screen.col.${by}`)), h('th', null, ''),
      h('th.n', null, t('screen.col.reported')), h('th.n', null, t('screen.col.open')), h('th.n', null, t('screen.col.overdue'))),
    rows.map(r => h('tr', { 'data-key': r.key, 'data-reported': r.reported, 'data-overdue': r.overdue },
      h('td.name', { title: r.name }, r.name), h('td', null, h('div.bar-in', { style: `width:${(100 * r.reported / max).toFixed(1)}%` })),
      h('td.n', null, fmtN(r.reported)), h('td.n', null, fmtN(r.open)), h('td.n.late', null, fmtN(r.overdue)))))
      : h('p.empty', null, t('screen.none')));
}

function caseSlide(id, title, list, now) {
  const late = c => { // how long past the deadline: days, or hours within the first day
    const ms = Math.max(0, now - new Date(c.deadline));
    return ms >= 864e5 ? t('screen.days', { n: Math.floor(ms / 864e5) }) : t('screen.hours', { n: Math.max(1, Math.floor(ms / 36e5)) });
  };
  return h('div', null, h('h2', null, title, h('small', { 'data-total': id }, t('screen.total', { n: fmtN(list.total) }))),
    list.cases.length ? h('table', { 'data-list': id }, h('tr', null, h('th', { style: 'width:24%' }, t('screen.col.category')), h('th', { style: 'width:18%' }, t('screen.col.street')),
      h('th', { style: 'width:30%' }, t('screen.col.unit')), h('th.n', null, id === 'overdue' ? t('screen.col.late') : t('screen.col.due'))),
    list.cases.map(c => h('tr', { 'data-number': c.number }, h('td', { title: c.category_name }, c.category_name || c.category), h('td', null, c.street_name || c.street),
      h('td', { title: c.unit || '' }, c.unit || '—'),
      id === 'overdue' ? h('td.n.late', null, late(c))
        : h('td.n', null, new Date(c.deadline).toLocaleString(lang, { timeZone: tz, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })))))
      : h('p.empty', null, t('screen.none')));
}

function focusText(f) {
  if (!f) return t('screen.focus.none');
  let trend;
  if (f.change_pct === undefined || f.change_pct === null) trend = t('screen.focus.new', { days: f.days });
  else if (f.change_pct > 0) trend = t('screen.focus.up', { days: f.days, pct: Math.round(f.change_pct) });
  else if (f.change_pct < 0) trend = t('screen.focus.down', { days: f.days, pct: Math.round(-f.change_pct) });
  else trend = t('screen.focus.flat', { days: f.days });
  return t('screen.focus', { days: f.days, street: f.street_name, category: f.category_name, n: f.count, trend });
}

let map, slides = [], turn = 0, turner;

function layout() {
  const mapBox = h('div', { id: 'heat' });
  main.replaceChildren(
    h('div.stages', null, h('section.block', { id: 'today' }), h('section.block', { id: 'period' })),
    h('div.lower', null,
      h('section.block.mapblock', null, h('h2', null, t('screen.heat'), h('small', { id: 'heat-n' })), h('p.focus', { id: 'focus' }), mapBox),
      h('section.block.carousel', null, h('div.slides', { id: 'slides' }), h('div.dots', { id: 'dots' }))));
  map = new VectorMap(mapBox, { dark: true, heat: true, fitAlways: true });
}

function show(i) {
  const all = document.querySelectorAll('#slides .slide');
  if (!all.length) return;
  turn = i % all.length;
  all.forEach((s, j) => s.classList.toggle('on', j === turn));
  document.querySelectorAll('#dots span').forEach((d, j) => d.classList.toggle('on', j === turn));
  document.getElementById('slides').dataset.on = all[turn].dataset.slide;
}

async function refresh(token) {
  const auth = { Authorization: `Bearer ${token}` };
  const [mom, yoy] = await Promise.all([
    api('GET', `/api/v1/dashboard?compare=mom&top=${TOP}`, undefined, auth),
    api('GET', '/api/v1/dashboard?compare=yoy&only=stages', undefined, auth)]);
  const now = new Date(mom.as_of);
  const monthNote = t('screen.month.note', { from: new Date(mom.period.span.from).toLocaleDateString(lang, { timeZone: tz, month: 'long', day: 'numeric' }) });
  document.getElementById('today').replaceWith(stageBlock('today', t('screen.today'), t('screen.today.note'), mom.today, yoy.today));
  document.getElementById('period').replaceWith(stageBlock('period', t('screen.month'), monthNote, mom.period, yoy.period));
  document.getElementById('focus').replaceChildren(focusText(mom.focus));
  document.getElementById('heat-n').replaceChildren(h('span', { 'data-n': 'open' }, t('screen.open', { n: fmtN(mom.open) })));
  const panels = [['street', topSlide('street', mom.top.street)], ['unit', topSlide('unit', mom.top.unit)], ['category', topSlide('category', mom.top.category)],
    ['overdue', caseSlide('overdue', t('screen.overdue'), mom.overdue, now)], ['supervision', caseSlide('supervision', t('screen.supervision'), mom.supervision, now)]];
  document.getElementById('slides').replaceChildren(...panels.map(([k, el]) => h('div.slide', { 'data-slide': k }, el)));
  document.getElementById('dots').replaceChildren(...panels.map(() => h('span')));
  show(turn);
  map.ready.then(() => { map.setCases([], mom.heat); requestAnimationFrame(() => requestAnimationFrame(() => { document.body.dataset.map = String(mom.heat.length); })); });
  document.getElementById('updated').textContent = t('screen.updated', { at: new Date(Date.now()).toLocaleTimeString(lang, { timeZone: tz, hour12: false }) });
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
}

function signIn(message) {
  clearInterval(turner);
  const input = h('input', { id: 'screen-token', type: 'password', autocomplete: 'off', 'aria-label': t('screen.signin.token') });
  main.replaceChildren(h('form.signin', { onsubmit: e => { e.preventDefault(); localStorage.setItem('screen-token', input.value.trim()); start(); } },
    h('h2', null, t('screen.signin')), h('p.muted', null, t('screen.signin.help')), message ? h('p.err', { role: 'alert' }, message) : null,
    h('label', null, h('span', null, t('screen.signin.token')), input), h('button', { type: 'submit' }, t('screen.signin.go'))));
}

let timer;
async function start() {
  const token = localStorage.getItem('screen-token');
  if (!token) { signIn(); return; }
  layout();
  clearInterval(timer); clearInterval(turner);
  const tick = async () => {
    try { await refresh(token); } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) { clearInterval(timer); localStorage.removeItem('screen-token'); signIn(errText(e)); return; }
      document.getElementById('updated').textContent = t('screen.stale', { err: errText(e) }); // keep the last figures up
    }
  };
  await tick();
  timer = setInterval(tick, REFRESH);
  turner = setInterval(() => show(turn + 1), TURN);
}

await loadMessages();
document.title = t('screen.title');
clock(); setInterval(clock, 1000);
start();
