// Shared helpers: messages, the API, formatting, small DOM builders.

export const lang = localStorage.getItem('lang') === 'en' ? 'en' : 'zh-CN';
let messages = {};

// loadMessages fetches the message catalog of the current language.
export async function loadMessages() {
  const r = await fetch(`/ui/i18n/${lang}.json`);
  messages = await r.json();
  document.documentElement.lang = lang;
  const b = document.getElementById('lang');
  if (b) {
    b.textContent = lang === 'en' ? '中文' : 'English';
    b.onclick = () => { localStorage.setItem('lang', lang === 'en' ? 'zh-CN' : 'en'); location.reload(); };
  }
  translate(document);
}

// t returns the message for key with {name} placeholders filled.
export function t(key, vars) {
  let m = messages[key];
  if (m === undefined) m = key;
  if (vars) for (const [k, v] of Object.entries(vars)) m = m.replaceAll(`{${k}}`, v);
  return m;
}

// translate fills every [data-i18n] element under root.
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
}

const tz = 'Asia/Shanghai';
export function fmtTime(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang, { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}
export function fmtDay(d) {
  return new Date(d).toLocaleDateString(lang, { timeZone: tz, month: '2-digit', day: '2-digit' });
}

// workLeft says the working time left before a deadline, or how late.
export function workLeft(min) {
  if (min === undefined || min === null) return '';
  const a = Math.abs(min), h = Math.floor(a / 60), m = a % 60;
  const s = h ? t('time.hm', { h, m }) : t('time.m', { m });
  return min < 0 ? t('time.late', { d: s }) : t('time.left', { d: s });
}

// ApiError is a refused request with its RFC 9457 problem.
export class ApiError extends Error {
  constructor(status, p) {
    super(p && p.detail ? p.detail : `HTTP ${status}`);
    this.status = status; this.problem = p || {};
  }
}

let csrf = sessionStorage.getItem('csrf') || '';
export function setCSRF(v) { csrf = v || ''; sessionStorage.setItem('csrf', csrf); }

// api calls the JSON API; writes carry the session's CSRF token.
export async function api(method, path, body, headers = {}) {
  const h = { ...headers };
  let b;
  if (body instanceof Blob) { b = body; h['Content-Type'] = body.type || 'application/octet-stream'; }
  else if (body !== undefined) { b = JSON.stringify(body); h['Content-Type'] = 'application/json'; }
  if (method !== 'GET') h['X-CSRF-Token'] = csrf;
  const r = await fetch(path, { method, headers: h, body: b, credentials: 'same-origin' });
  if (r.status === 204) return null;
  const ct = r.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new ApiError(r.status, typeof data === 'object' ? data : { detail: String(data).slice(0, 200) });
  return data;
}

// errText says what went wrong, in the reader's language, naming the
// field: the most specific message the catalog has for the problem —
// err.CODE.FIELD, then err.CODE, then the sentence of its kind
// (err.code.CODE) — filled from the problem's params, times among them
// in Beijing time. The server's detail is for API clients and logs, in
// English: it is never shown.
export function errText(e) {
  if (e instanceof ApiError) return t('err.http', { status: e.status }) + ' ' + problemText(e.problem);
  return t('err.network') + ' ' + (e && e.message ? e.message : '');
}

// problemText is one problem (code, field, params) in the reader's words:
// a refused request's, or one cell's of an imported file.
export function problemText(problem) {
  const { code, field, params } = problem;
  const base = field ? field.replace(/\[\d+\]/g, '') : '';
  const vars = { field: field ? fieldName(field) : t('err.nofield') };
  for (const [k, v] of Object.entries(params || {})) vars[k] = typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) ? fmtTime(v) : v;
  // The most specific message whose particulars the problem gives.
  const fits = k => messages[k] !== undefined && [...messages[k].matchAll(/\{(\w+)\}/g)].every(m => vars[m[1]] !== undefined);
  // An answer to a category's question is named by the question.
  if (code && /^attributes\./.test(base) && params && params.question !== undefined) {
    const k = `err.${code}.attributes`;
    if (params.kind && fits(`${k}.${params.kind}`)) return t(`${k}.${params.kind}`, vars);
    if (fits(k)) return t(k, vars);
  }
  if (code && base && fits(`err.${code}.${base}`)) return t(`err.${code}.${base}`, vars);
  // A limit: so many characters, or so many entries, at most.
  for (const k of ['chars', 'items']) if (code && vars[k] !== undefined && fits(`err.${code}.${k}`)) return t(`err.${code}.${k}`, vars);
  if (code && fits(`err.${code}`)) return field ? t('err.field', { field: vars.field, message: t(`err.${code}`, vars) }) : t(`err.${code}`, vars);
  if (code && fits(`err.code.${code}`)) return t(`err.code.${code}`, vars);
  return field ? t('err.code.invalid', vars) : t('err.code.internal');
}

// fieldName is a request field as people call it: field.NAME, or a
// list entry's field (photos[2] → 照片 #3), or the name itself.
export function fieldName(f) {
  const m = /^([A-Za-z_-]+)(?:\[(\d+)\])?(?:\.([A-Za-z_]+))?$/.exec(f);
  if (!m) return f;
  if (m[1] === 'attributes' && m[2] === undefined && m[3]) return messages['field.attributes'] || m[1]; // its code is no word for people
  let s = messages[`field.${m[1]}`] || m[1];
  if (m[2] !== undefined) s += ` #${Number(m[2]) + 1}`;
  if (m[3]) s += ' ' + (messages[`field.${m[3]}`] || m[3]);
  return s;
}

export function toast(msg) {
  const el = document.getElementById('toast');
  el.textContent = msg; el.classList.add('show');
  clearTimeout(toast.timer); toast.timer = setTimeout(() => el.classList.remove('show'), 3500);
}

// h builds an element: h('div.a.b', {attr}, children...).
export function h(tag, attrs, ...kids) {
  const [name, ...cls] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (cls.length) el.className = cls.join(' ');
  if (attrs) for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'html') throw new Error('no html');
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== false) el.append(k instanceof Node ? k : String(k));
  return el;
}

// fill replaces el's children with kids, flattened, skipping empty ones.
export function fill(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter(k => k !== null && k !== undefined && k !== false && k !== ''));
  return el;
}

export function stateTag(state) { return h(`span.state.${state}`, { 'data-state': state }, t(`state.${state}`)); }

// catalog is the problem catalog, loaded once (again after the admin
// page changes it: fresh = true).
let catalogP;
export function catalog(fresh) {
  if (fresh) catalogP = undefined;
  catalogP ||= api('GET', '/api/v1/catalog').then(r => {
    const byId = new Map(r.categories.map(c => [c.id, c]));
    return { list: r.categories, byId };
  });
  return catalogP;
}
export function catName(cat, id) { const c = cat.byId.get(id); return c ? c.name : id; }

// Pinyin initials by the zh-CN collation: each letter's first character.
const initialsTable = '阿八嚓哒妸发旮哈讥咔垃妈拏噢妑七呥扨它穵夕丫帀';
const letters = 'ABCDEFGHJKLMNOPQRSTWXYZ';
const coll = new Intl.Collator('zh-CN');
export function initials(s) {
  let out = '';
  for (const ch of s) {
    if (/[a-z0-9]/i.test(ch)) { out += ch.toUpperCase(); continue; }
    if (!/[\u4e00-\u9fff]/.test(ch)) continue;
    let l = '';
    for (let i = letters.length - 1; i >= 0; i--) if (coll.compare(ch, initialsTable[i]) >= 0) { l = letters[i]; break; }
    out += l;
  }
  return out;
}

// searchCategories finds categories by Chinese text, id or pinyin initials.
export function searchCategories(list, q, limit = 12) {
  q = q.trim();
  if (!q) return list.slice(0, limit);
  const up = q.toUpperCase();
  const hits = [];
  for (const c of list) {
    c.py ||= initials(c.name);
    let score = -1;
    if (c.name.includes(q)) score = c.name.startsWith(q) ? 0 : 1;
    else if (c.id.toUpperCase().startsWith(up)) score = 2;
    else if (/^[A-Z]+$/.test(up) && c.py.includes(up)) score = c.py.startsWith(up) ? 3 : 4;
    if (score >= 0) hits.push([score, c]);
  }
  hits.sort((a, b) => a[0] - b[0] || a[1].name.length - b[1].name.length);
  return hits.slice(0, limit).map(x => x[1]);
}

// uploadPhoto sends one image and returns its id.
export async function uploadPhoto(file) {
  const r = await api('POST', '/api/v1/photos', file);
  return r.id;
}

export function photoStrip(ids) {
  return h('div.photos', null, ids.map(id => h('a', { href: `/api/v1/photos/${id}`, target: '_blank' },
    h('img', { src: `/api/v1/photos/${id}?thumb=1`, alt: t('case.photo'), loading: 'lazy' }))));
}

// rangeText is a number question's bounds in words (1–50, 至少 1), or ''.
export function rangeText(q) {
  if (q.min != null && q.max != null) return t('q.between', { min: q.min, max: q.max });
  if (q.min != null) return t('q.atleast', { min: q.min });
  if (q.max != null) return t('q.atmost', { max: q.max });
  return '';
}

// questions draws a category's questions (its attributes) into box — a
// choice, a number, a day or text each as people answer it — and returns
// how to read them: answers() the given ones by code, missing() the first
// required one left empty (focused), or ''.
export function questions(box, c) {
  const inputs = ((c && c.attributes) || []).map(q => {
    const a = { id: `q-${q.code}`, 'data-question': q.code };
    let el;
    if (q.datatype === 'singlevaluelist') el = h('select', a, h('option', { value: '' }, t('q.choose')), q.values.map(v => h('option', { value: v.key }, v.name)));
    else if (q.datatype === 'multivaluelist') el = h('select', { ...a, multiple: true, size: Math.min(q.values.length, 4) }, q.values.map(v => h('option', { value: v.key }, v.name)));
    else if (q.datatype === 'number') el = h('input', { ...a, type: 'number', inputmode: 'decimal', step: 'any' }); // its bounds are checked in words, not by the browser's own bubble
    else if (q.datatype === 'datetime') el = h('input', { ...a, type: 'date' });
    else if (q.datatype === 'text') el = h('textarea', { ...a, rows: 2, maxlength: 1000 });
    else el = h('input', { ...a, maxlength: 100 });
    return [q, el];
  });
  const value = el => el.multiple ? [...el.selectedOptions].map(o => o.value).join(',') : el.value.trim();
  const hint = q => [q.help, rangeText(q)].filter(Boolean).join(' · ');
  // Each question's refusal is said under it, where the focus goes.
  const errs = new Map(inputs.map(([q, el]) => {
    const e = h('span.err.q-err', { id: `q-err-${q.code}` });
    el.setAttribute('aria-describedby', e.id);
    el.addEventListener('input', () => { e.textContent = ''; el.removeAttribute('aria-invalid'); });
    return [el, e];
  }));
  fill(box, inputs.map(([q, el]) => h('label', { for: el.id }, h('span', null, q.question + (q.required ? ' *' : '')), el,
    hint(q) ? h('span.muted.q-hint', null, hint(q)) : '', errs.get(el))));
  // wrong says what is wrong with one answer, naming its question.
  const wrong = (q, el) => {
    const v = value(el);
    if (q.datatype === 'number' && el.validity && el.validity.badInput) return t('q.number', { q: q.question });
    if (!v) return q.required ? t('q.missing', { q: q.question }) : '';
    if (q.datatype === 'number' && ((q.min != null && Number(v) < q.min) || (q.max != null && Number(v) > q.max))) return t('q.range', { q: q.question, range: rangeText(q) });
    return '';
  };
  return {
    answers() { const out = {}; for (const [q, el] of inputs) { const v = value(el); if (v) out[q.code] = v; } return out; },
    // missing is the first answer left out or out of bounds, said in
    // words, its input focused; '' when every answer will do.
    missing() {
      for (const [q, el] of inputs) {
        const w = wrong(q, el);
        errs.get(el).textContent = w;
        if (w) { el.setAttribute('aria-invalid', 'true'); el.focus(); return w; }
      }
      return '';
    },
  };
}

// confirmDialog asks before something is deleted, paused or deactivated:
// a modal with the question, what it means, and the action's own word on
// the button. It resolves true only when that button is pressed.
export function confirmDialog(question, detail, action) {
  return new Promise(resolve => {
    const done = ok => { dlg.close(); dlg.remove(); resolve(ok); };
    const dlg = h('dialog.confirm', { id: 'confirm', 'aria-labelledby': 'confirm-q' },
      h('p', { id: 'confirm-q' }, h('b', null, question)), detail ? h('p.muted', null, detail) : '',
      h('div.actions', null, h('button.primary', { type: 'button', id: 'confirm-ok', onclick: () => done(true) }, action),
        h('button', { type: 'button', id: 'confirm-cancel', onclick: () => done(false) }, t('cancel'))));
    dlg.addEventListener('cancel', e => { e.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector('#confirm-cancel').focus();
  });
}

// contactsForm edits how a person is reached besides the inbox: phone,
// e-mail, language and the channels chosen (SMS, e-mail); with liaison,
// also whether they are their unit's liaison (联络员, the administrator's
// to say). It PUTs to path; done runs after a save and on cancel.
export function contactsForm(c, path, title, liaison, done) {
  const phone = h('input', { id: 'contact-phone', type: 'tel', inputmode: 'numeric', maxlength: 11, size: 13, value: c.phone || '', placeholder: '13903520001', autocomplete: 'tel' });
  const email = h('input', { id: 'contact-email', type: 'email', size: 24, value: c.email || '', placeholder: 'li@pingcheng.gov.cn', autocomplete: 'email' });
  const language = h('select', { id: 'contact-lang' }, ['zh-CN', 'en'].map(l => h('option', { value: l, selected: l === (c.lang || 'zh-CN') }, t(`contacts.lang.${l}`))));
  const chans = ['sms', 'mail'].map(ch => h('input', { type: 'checkbox', id: `contact-${ch}`, 'data-channel': ch, checked: (c.channels || []).includes(ch) || undefined }));
  const li = liaison ? h('input', { type: 'checkbox', id: 'contact-liaison', checked: c.liaison || undefined }) : null;
  const msg = h('p.err', { role: 'alert', id: 'contacts-err' });
  const form = h('form.panel', { id: 'contacts-form', onsubmit: async e => {
    e.preventDefault();
    msg.textContent = '';
    const body = { phone: phone.value.trim(), email: email.value.trim(), lang: language.value, channels: chans.filter(x => x.checked).map(x => x.dataset.channel) };
    if (li) body.liaison = li.checked;
    try { await api('PUT', path, body); toast(t('contacts.saved')); await done(true); } catch (err) { msg.textContent = errText(err); }
  } }, h('h2', null, title), h('p.muted', null, t('contacts.help')),
  h('div.actions', null, h('label', null, h('span', null, t('field.phone')), phone), h('label', null, h('span', null, t('field.email')), email),
    h('label', null, h('span', null, t('field.lang')), language)),
  h('fieldset.channels', null, h('legend', null, t('contacts.channels')), chans.map(x => h('label', null, x, ' ', t(`contacts.channel.${x.dataset.channel}`)))),
  li ? h('label', null, li, ' ', t('contacts.liaison'), h('div.muted', null, t('contacts.liaison.help'))) : h('p.muted', null, c.liaison ? t('contacts.is_liaison') : ''),
  msg, h('div.actions', null, h('button.primary', { type: 'submit', id: 'contacts-save' }, t('contacts.save')), h('button', { type: 'button', onclick: () => done(false) }, t('cancel'))));
  return form;
}

// sendsTable is a record of sends: when, (the case,) the channel and to
// whom (the address masked), the ladder's step, the state with its
// attempts and last error, and the message.
export function sendsTable(rows, withCase) {
  if (!rows.length) return h('p.muted', { id: 'sends-none' }, t('sends.none'));
  return h('div.scroll', null, h('table.sends', { id: 'sends' }, h('thead', null, h('tr', null, ['at', withCase ? 'case' : '', 'channel', 'to', 'step', 'state', 'attempts', 'error', 'text'].filter(Boolean).map(k => h('th', null, t(`sends.col.${k}`))))),
    h('tbody', null, rows.map(d => h('tr', { 'data-send': d.id, 'data-send-state': d.state },
      h('td', null, fmtTime(d.sent_at || d.created_at), d.state === 'queued' ? h('div.muted', null, t('sends.not_before', { at: fmtTime(d.not_before) })) : ''),
      withCase ? h('td', null, d.case || '') : null,
      h('td', null, t(`sends.channel.${d.channel}`)), h('td', null, d.to, d.who ? h('div.muted', null, d.who) : ''),
      h('td', null, t(`sends.step.${d.step}`)), h('td', null, h(`span.sstate.${d.state}`, null, t(`sends.state.${d.state}`))),
      h('td.n', null, String(d.attempts)), h('td.err-cell', null, d.last_error || ''), h('td', null, d.text || ''))))));
}
