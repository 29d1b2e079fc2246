// The command centre's search: every filter a dispatcher searches by, in
// their words — streets, units and categories by name, the channel, the
// state, report days in Beijing time — then how many cases it finds and
// the export of exactly those (the ledger's file, in the reader's scope).
import { api, h, t } from './lib.js';
import { loadLayer } from './map.js';

const states = ['reported', 'registered', 'dispatched', 'in_progress', 'suspended', 'pending_check', 'pending_close', 'closed', 'voided'];
const channels = ['hotline', 'patrol', 'web', 'open311', 'import', 'video', 'iot'];
const unitKinds = new Set(['department', 'street', 'property']);

// searchForm builds the text box and the filters; onSearch runs when
// the dispatcher asks (Enter in any field, or the button).
export function searchForm(cat, onSearch) {
  const any = () => h('option', { value: '' }, t('search.any'));
  const text = h('input', { type: 'search', 'data-i18n-ph': 'centre.search', placeholder: t('centre.search'), id: 'q', 'aria-label': t('centre.search') });
  const street = h('select', { id: 'f-street' }, any());
  const unit = h('select', { id: 'f-unit' }, any());
  const classes = new Map();
  for (const c of cat.list) {
    const k = c.id.slice(0, 3);
    if (!classes.has(k)) classes.set(k, { name: c.class, list: [] });
    classes.get(k).list.push(c);
  }
  const category = h('select', { id: 'f-category' }, any(), [...classes].map(([k, g]) => h('optgroup', { label: g.name },
    h('option', { value: k }, t('search.classall', { c: g.name })), g.list.map(c => h('option', { value: c.id }, c.name)))));
  const channel = h('select', { id: 'f-channel' }, any(), channels.map(c => h('option', { value: c }, t(`channel.${c}`))));
  const state = h('select', { id: 'f-state' }, any(), states.map(s => h('option', { value: s }, t(`state.${s}`))));
  const from = h('input', { type: 'date', id: 'f-from' });
  const to = h('input', { type: 'date', id: 'f-to' });
  const fields = { street, unit, category, channel, state, from, to };
  // Names come from the map layer the centre loads anyway, and the units.
  loadLayer().then(l => street.append(...l.streets.map(s => h('option', { value: s.code }, s.name)))).catch(() => {});
  api('GET', '/api/v1/units').then(r => unit.append(...r.units.filter(u => unitKinds.has(u.kind))
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN')).map(u => h('option', { value: u.code }, u.name)))).catch(() => {});
  const label = (key, el) => h('label', null, h('span', null, t(key)), el);
  const go = h('button', { type: 'button', id: 'f-go' }, t('search.go'));
  const clear = h('button', { type: 'button', id: 'f-clear' }, t('search.clear'));
  const filters = h('details', { id: 'filters' }, h('summary', null, t('search.filters')),
    h('div.filters', null, label('search.street', street), label('search.unit', unit), label('search.category', category),
      label('search.channel', channel), label('search.state', state), label('search.from', from), label('search.to', to)),
    h('div.actions', null, go, clear));
  const result = h('div', { id: 'search-result', 'aria-live': 'polite' });
  // The query of the search: the text and every filter set.
  const params = () => {
    const p = new URLSearchParams();
    if (text.value.trim()) p.set('q', text.value.trim());
    for (const [k, el] of Object.entries(fields)) if (el.value) p.set(k, el.value);
    return p;
  };
  const run = () => onSearch(params());
  text.addEventListener('keydown', e => { if (e.key === 'Enter') run(); });
  for (const el of Object.values(fields)) el.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); run(); } });
  go.onclick = run;
  clear.onclick = () => { text.value = ''; for (const el of Object.values(fields)) el.value = ''; run(); };
  return { text, el: h('div', null, text, filters, result), params, result };
}

// showResult says how many cases a search finds (the list's count=true
// answer), with the links to their files, or why they cannot be
// downloaded at once.
export function showResult(box, p, r) {
  if (![...p.keys()].length || r.total === undefined) { box.replaceChildren(); return; }
  const n = r.total;
  const file = f => `/api/v1/ledger?${p}&format=${f}`;
  box.replaceChildren(h('p.muted', null, h('b', { 'data-n': 'search' }, t('search.count', { n })), ' ',
    n > r.export_limit ? h('span.err', { 'data-export': 'too-many' }, t('err.too_many_rows', { n, max: r.export_limit }))
      : n ? [h('a', { href: file('xlsx'), download: '', 'data-export': 'search-xlsx' }, t('search.xlsx')), ' ',
        h('a', { href: file('csv'), download: '', 'data-export': 'search-csv' }, t('search.csv'))] : ''));
}
