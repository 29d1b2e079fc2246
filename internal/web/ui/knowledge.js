// The knowledge base (知识库): the panel beside the hotline desk's form —
// the operator searches by the caller's words, reads the answer, and cites
// it in the answer given at the desk — and the page the centre keeps it on:
// counts, the expired ones flagged, a point added or edited as a form,
// deleted after a confirmation, the whole base exported and imported as
// the same spreadsheet (a preview first, errors by line and column).
import { api, confirmDialog, errText, fill, fmtTime, h, t, toast } from './lib.js';

const kinds = ['faq', 'guide', 'policy', 'notice', 'contacts'];
const keepers = ['operator', 'dispatcher', 'admin'];

// cited are the points chosen at the desk for the answer being written;
// the answer form (casepanel.js) sends their ids and starts its text from
// their content.
export const cited = [];
const citedChanged = () => document.dispatchEvent(new CustomEvent('xiuhua:cited'));

const usable = p => p.status === 'in_force' || p.status === 'expires_out';

function statusTag(p) {
  return h(`span.kb-status.${p.status}`, { 'data-status': p.status }, t(`kb.status.${p.status}`),
    p.until ? h('span.muted', null, ' ', t('kb.until', { d: p.until })) : '');
}

// pointView is one point as the operator reads it out.
function pointView(p, cite) {
  const on = cited.some(x => x.id === p.id);
  return h('li.kb-point', { 'data-kb': p.id },
    h('div.actions', null, h('b', { style: 'flex:1' }, p.title), statusTag(p)),
    h('div.muted', null, p.category.join(' / '), ' · ', t(`kb.kind.${p.kind}`), ' · ', p.issuer, p.scope ? ` · ${p.scope}` : ''),
    h('p.kb-content', null, p.content),
    cite ? (usable(p)
      ? h('button', { type: 'button', 'data-cite': p.id, 'aria-pressed': on ? 'true' : 'false', onclick: e => {
        const i = cited.findIndex(x => x.id === p.id);
        if (i >= 0) cited.splice(i, 1); else cited.push(p);
        e.currentTarget.setAttribute('aria-pressed', i >= 0 ? 'false' : 'true');
        e.currentTarget.textContent = t(i >= 0 ? 'kb.cite' : 'kb.cited');
        citedChanged();
      } }, t(on ? 'kb.cited' : 'kb.cite'))
      : h('p.late', null, t('kb.not_usable'))) : null);
}

// deskPanel is the search beside the intake form. suggest(q) searches for
// q when the operator has not typed a search of their own (the category
// just chosen, say).
export function deskPanel() {
  const q = h('input', { id: 'kb-q', type: 'search', autocomplete: 'off', placeholder: t('kb.search.ph') });
  const list = h('ul.kb-list', { id: 'kb-results', 'aria-live': 'polite' });
  const chosen = h('div', { id: 'kb-cited' });
  let typed = false, seq = 0;
  async function search(text, like) {
    const my = ++seq;
    if (!text.trim()) { list.replaceChildren(); return; }
    try {
      const r = await api('GET', `/api/v1/knowledge?limit=5&${like ? 'like' : 'q'}=${encodeURIComponent(text.trim())}`);
      if (my !== seq) return;
      fill(list, r.points.length ? r.points.map(p => pointView(p, true)) : h('li.muted', null, t('kb.none')));
    } catch (e) { list.replaceChildren(h('li.err', null, errText(e))); }
  }
  const showCited = () => fill(chosen, cited.length ? h('p.queue-note', null, h('b', null, t('kb.cited.n', { n: cited.length })), ' ',
    cited.map(p => p.title).join('、')) : null);
  document.addEventListener('xiuhua:cited', showCited);
  let timer;
  q.addEventListener('input', () => { typed = q.value.trim() !== ''; clearTimeout(timer); timer = setTimeout(() => search(q.value), 200); });
  q.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); clearTimeout(timer); search(q.value); } });
  const panel = h('section.panel.kb-desk', { id: 'kb-panel', 'aria-label': t('kb.title') },
    h('label', { for: 'kb-q' }, h('span', null, h('b', null, t('kb.title'))), q), chosen, list);
  panel.suggest = text => { if (!typed) { q.value = ''; search(text, true); } };
  panel.clear = () => { cited.length = 0; typed = false; q.value = ''; list.replaceChildren(); showCited(); };
  return panel;
}

// render is the knowledge page.
export async function render(main, me) {
  const keeper = keepers.includes(me.role);
  const counts = h('p', { id: 'kb-counts' });
  const q = h('input', { id: 'kb-page-q', type: 'search', placeholder: t('kb.search.ph'), style: 'min-width:min(18rem,70vw)' });
  const onlyExpired = h('input', { type: 'checkbox', id: 'kb-expired' });
  const rows = h('tbody');
  const more = h('button', { type: 'button', id: 'kb-more', hidden: true }, t('kb.more'));
  const editBox = h('div', { id: 'kb-edit' });
  const msg = h('p.err', { role: 'alert' });
  let next = 0;

  async function load(append) {
    msg.textContent = '';
    const text = q.value.trim();
    const url = text ? `/api/v1/knowledge?limit=50&q=${encodeURIComponent(text)}`
      : `/api/v1/knowledge?limit=50${onlyExpired.checked ? '&expired=true' : ''}${append && next ? `&before=${next}` : ''}`;
    try {
      const r = await api('GET', url);
      counts.replaceChildren(t('kb.counts', { n: r.total }), ' ', r.expired ? h('b.late', { id: 'kb-expired-n' }, t('kb.counts.expired', { n: r.expired })) : '');
      const trs = r.points.filter(p => !text || !onlyExpired.checked || p.status === 'expired').map(p => h('tr', { 'data-kb': p.id },
        h('td', null, h('a', { href: '#', onclick: e => { e.preventDefault(); open(p); } }, p.title), h('div.muted', null, p.category.join(' / '))),
        h('td', null, t(`kb.kind.${p.kind}`)), h('td.kb-wide', null, p.issuer), h('td', null, statusTag(p)), h('td.muted.kb-wide', null, fmtTime(p.updated_at))));
      if (append) rows.append(...trs); else rows.replaceChildren(...trs);
      if (!rows.children.length) rows.append(h('tr', null, h('td', { colspan: 5 }, h('span.muted', null, t('kb.none')))));
      next = r.next_before || 0;
      more.hidden = !next || !!text;
    } catch (e) { msg.textContent = errText(e); }
  }

  // open shows a point, as a form for the keepers.
  function open(p) {
    if (!keeper) { editBox.replaceChildren(h('section.panel', null, h('ul.kb-list', null, pointView(p, false)))); return; }
    const v = p || { category: [], keywords: [], kind: 'faq', from: new Date().toLocaleDateString('sv', { timeZone: 'Asia/Shanghai' }) };
    const input = (id, value, attrs = {}) => h('input', { id: `kb-${id}`, 'data-field': id, value: value || '', ...attrs });
    const fields = {
      category: input('category', v.category.join('/'), { placeholder: '城市管理/市容环境/占道经营', maxlength: 200 }),
      title: input('title', v.title, { maxlength: 100 }),
      content: h('textarea', { id: 'kb-content', 'data-field': 'content', rows: 6, maxlength: 5000 }, v.content || ''),
      issuer: input('issuer', v.issuer, { maxlength: 50 }),
      kind: h('select', { id: 'kb-kind', 'data-field': 'kind' }, kinds.map(k => h('option', { value: k, selected: k === v.kind || undefined }, t(`kb.kind.${k}`)))),
      keywords: input('keywords', v.keywords.join('、'), { placeholder: '早市、摆摊' }),
      scope: input('scope', v.scope, { maxlength: 100 }),
      from: input('from', v.from, { type: 'date' }),
      until: input('until', v.until, { type: 'date' }),
    };
    const err = h('p.err', { role: 'alert', id: 'kb-form-err' });
    const form = h('form.panel.form', { id: 'kb-form', onsubmit: async e => {
      e.preventDefault();
      const body = {
        category: fields.category.value.split(/[/／>＞]/).map(s => s.trim()).filter(Boolean),
        title: fields.title.value, content: fields.content.value, issuer: fields.issuer.value, kind: fields.kind.value,
        keywords: fields.keywords.value.split(/[、,，;；\s]+/).filter(Boolean), scope: fields.scope.value,
        from: fields.from.value, until: fields.until.value,
      };
      try {
        await api(p ? 'PUT' : 'POST', p ? `/api/v1/knowledge/${p.id}` : '/api/v1/knowledge', body);
        toast(t('kb.saved'));
        editBox.replaceChildren();
        load(false);
      } catch (e2) {
        err.textContent = errText(e2);
        const f = e2.problem && e2.problem.field && form.querySelector(`[data-field="${e2.problem.field}"]`);
        if (f) f.focus();
      }
    } },
    h('h2', null, p ? t('kb.edit', { id: p.id }) : t('kb.new')),
    Object.entries(fields).map(([k, el]) => h('label', { for: el.id }, h('span', null, t(`kb.field.${k}`) + (['category', 'title', 'content', 'issuer', 'from'].includes(k) ? ' *' : '')), el)),
    err,
    h('div.actions', null, h('button.primary', { type: 'submit', id: 'kb-save' }, t('submit')),
      h('button', { type: 'button', onclick: () => editBox.replaceChildren() }, t('cancel')),
      p ? h('button.danger', { type: 'button', id: 'kb-delete', onclick: async () => {
        if (!await confirmDialog(t('kb.delete.q', { title: p.title }), t('kb.delete.detail'), t('kb.delete'))) return;
        try { await api('DELETE', `/api/v1/knowledge/${p.id}`); toast(t('kb.deleted')); editBox.replaceChildren(); load(false); } catch (e2) { err.textContent = errText(e2); }
      } }, t('kb.delete')) : null));
    editBox.replaceChildren(form);
    fields.title.focus();
  }

  // The file: a preview first, then the import; errors listed by line.
  const file = h('input', { type: 'file', id: 'kb-file', accept: '.xlsx,.csv' });
  const fileOut = h('div', { id: 'kb-file-out', 'aria-live': 'polite' });
  async function send(dry) {
    const f = file.files[0];
    if (!f) { fileOut.replaceChildren(h('p.err', null, t('kb.file.none'))); return; }
    try {
      const r = await api('POST', `/api/v1/knowledge/import?name=${encodeURIComponent(f.name)}${dry ? '&dry_run=true' : ''}`, f);
      if (!dry) { toast(t('kb.file.done', { a: r.added, r: r.replaced })); fileOut.replaceChildren(); file.value = ''; load(false); return; }
      fileOut.replaceChildren(h('div.queue-note', { id: 'kb-preview' }, h('p', null, t('kb.file.preview', { n: r.rows, a: r.added, r: r.replaced })),
        h('ul', null, r.sample.map(p => h('li', null, p.id ? `#${p.id} ` : '', p.title))),
        h('button.primary', { type: 'button', id: 'kb-import', onclick: () => send(false) }, t('kb.file.import', { n: r.rows }))));
    } catch (e) {
      const list = (e.problem && e.problem.errors) || [];
      fileOut.replaceChildren(h('div.err', { id: 'kb-file-err', role: 'alert' }, h('p', null, list.length ? t('kb.file.bad', { n: list.length }) : errText(e)),
        h('ul', null, list.slice(0, 50).map(x => h('li', { 'data-line': x.line }, t('kb.file.line', { line: x.line, column: x.column || t(`kb.field.${x.field}`) }), t(`err.code.${x.code}`, { field: t(`kb.field.${x.field}`) }))))));
    }
  }

  q.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); load(false); } });
  onlyExpired.addEventListener('change', () => load(false));
  more.addEventListener('click', () => load(true));
  fill(main, h('div.cols', null,
    h('section.panel', null,
      h('div.actions', null, h('h2', { style: 'flex:1' }, t('kb.title')),
        keeper ? h('button.primary', { type: 'button', id: 'kb-add', onclick: () => open(null) }, t('kb.new')) : null,
        me.role !== 'handler' && me.role !== 'grid_worker' ? h('a', { href: '/api/v1/knowledge/export?format=xlsx', id: 'kb-export', download: '' }, t('kb.export')) : null),
      counts,
      h('div.actions', null, h('label', { for: 'kb-page-q' }, h('span', null, t('kb.search')), q),
        h('label', null, onlyExpired, ' ', t('kb.only_expired'))),
      msg,
      h('div.scroll', null, h('table', { id: 'kb-table' }, h('thead', null, h('tr', null, h('th', null, t('kb.field.title')), h('th', null, t('kb.field.kind')),
        h('th.kb-wide', null, t('kb.field.issuer')), h('th', null, t('kb.status')), h('th.kb-wide', null, t('kb.updated')))), rows)),
      more,
      keeper ? h('details', { id: 'kb-file-box' }, h('summary', null, t('kb.file')), h('p.muted', null, t('kb.file.help')),
        h('div.actions', null, file, h('button', { type: 'button', id: 'kb-check', onclick: () => send(true) }, t('kb.file.check'))), fileOut) : null),
    editBox));
  await load(false);
}
