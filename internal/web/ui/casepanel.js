// A case in full: facts, photos, deadlines with working time left, tasks,
// the timeline, and a form for every action the server says the reader may
// take now. Used by the command centre, the desk and the phone.
import { api, catalog, catName, errText, fill, fmtTime, h, lang, photoStrip, sendsTable, stateTag, t, toast, uploadPhoto, workLeft } from './lib.js';

let unitsP;
export function units() {
  unitsP ||= api('GET', '/api/v1/units').then(r => ({ list: r.units, byId: new Map(r.units.map(u => [u.id, u])) }));
  return unitsP;
}
const unitName = (us, id) => (us.byId.get(id) || { name: `#${id}` }).name;

// What each action asks for: [field, kind, required].
const forms = {
  verify: [['found', 'bool', true], ['note', 'text'], ['photos', 'photos']],
  register: [['note', 'text'], ['correct', 'correct']],
  void: [['reason', 'text', true]],
  merge: [['duplicate_of', 'case', true], ['reason', 'text']],
  dispatch: [['assignments', 'dispatch', true], ['correct', 'correct']],
  sign: [],
  report_back: [['note', 'text', true], ['photos', 'photos', true]],
  request_return: [['reason', 'text', true]],
  approve_return: [['task_unit', 'task:return', true]],
  refuse_return: [['task_unit', 'task:return', true], ['reason', 'text', true]],
  dispute: [['task_unit', 'task:return', true], ['reason', 'text', true]],
  arbitrate: [['task_unit', 'task:dispute', true], ['assignments', 'decision', true], ['reason', 'text', true], ['add_rule', 'check']],
  request_extension: [['reason', 'text', true], ['deadline', 'datetime', true]],
  approve_extension: [['task_unit', 'task:extension', true]],
  refuse_extension: [['task_unit', 'task:extension', true], ['reason', 'text', true]],
  request_suspension: [['reason', 'text', true]],
  approve_suspension: [['task_unit', 'task:suspension', true]],
  refuse_suspension: [['task_unit', 'task:suspension', true], ['reason', 'text', true]],
  resume: [['note', 'text']],
  check_pass: [['note', 'text'], ['photos', 'photos']],
  check_fail: [['reason', 'text', true], ['photos', 'photos']],
  close: [['special', 'check'], ['reason', 'text']],
  callback: [['reach', 'pick:reached,not_reached,refused', true], ['rating', 'pick:satisfied,fairly_satisfied,dissatisfied'], ['solved', 'bool'], ['note', 'text']],
  reopen: [['reason', 'text', true]],
  remind: [['note', 'text']],
  supervise: [['reason', 'text', true]],
  reply: [['note', 'text', true]],
  comment: [['note', 'text', true]],
  answer: [['note', 'text', true], ['knowledge', 'knowledge']],
  transfer: [['reason', 'text', true]],
  decline: [['reason', 'text', true]],
  withdraw: [['reason', 'text', true]],
  // A hotline order's lead department: first contact, then the answer
  // (the reply the requester hears, apart from the internal note).
  contact: [['contacted_at', 'now', true], ['method', 'pick:phone,visit,sms', true], ['note', 'text'], ['photos', 'photos']],
  caller_answer: [['reply', 'text', true], ['solved', 'bool', true], ['reason', 'text'], ['note', 'text'], ['photos', 'photos']],
  review: [['justified', 'bool', true], ['reason', 'text', true]],
};

// photoInput lets people pick or shoot photos and uploads each at once.
export function photoInput(ids) {
  const list = h('div.photos');
  const msg = h('span.err');
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment', multiple: true, 'data-field': 'photos' });
  input.addEventListener('change', async () => {
    msg.textContent = '';
    for (const f of input.files) {
      try {
        const id = await uploadPhoto(f);
        ids.push(id);
        list.append(h('img', { src: `/api/v1/photos/${id}?thumb=1`, alt: f.name }));
      } catch (e) { msg.textContent = errText(e); }
    }
    input.value = '';
  });
  return h('div', null, input, msg, list);
}

const placeName = c => {
  const n = c.place_names || {};
  return `${n.street || c.place.street} · ${n.community || c.place.community} · ${n.grid || c.place.grid}`;
};

// duration is working minutes as hours and minutes.
function duration(min) {
  const hh = Math.floor(min / 60), m = min % 60;
  return hh ? t('time.hm', { h: hh, m }) : t('time.m', { m });
}

// corrected says what a registration or dispatch put right, places by
// their names (the event's moved_from and moved_to) where known.
function corrected(e, cat) {
  const k = e.data.corrected, parts = [];
  const named = (names, p) => names && (names.grid || names.community) ? [names.street, names.community, names.grid].filter(Boolean).join(' · ') : p.grid;
  if (k.to_category) parts.push(t('case.corrected.category', { from: catName(cat, k.from_category), to: catName(cat, k.to_category) }));
  if (k.to_place) parts.push(t('case.corrected.place', { from: named(e.moved_from, k.from_place), to: named(e.moved_to, k.to_place) }));
  return parts.join('；');
}

// intakeFacts are what the hotline desk recorded with the call: the
// request type and the five elements (staff only, like the caller).
function intakeFacts(report) {
  const i = report && report.data && report.data.intake;
  if (!i) return null;
  const e = i.elements || {};
  return [h('dt', null, t('intake.type')), h('dd', { 'data-request-type': i.type }, t(`rtype.${i.type}`), i.no_callback ? h('span.muted', null, ' · ', t('intake.no_callback')) : ''),
    ['matter', 'when', 'who'].filter(k => e[k]).map(k => [h('dt', null, t(`intake.${k === 'matter' ? 'matter.line' : k}`)), h('dd', { [`data-element`]: k }, e[k])])];
}

// answerFacts are the report's answers to its category's questions, each
// under its question, choices by their names.
function answerFacts(report, category) {
  const got = report && report.data && report.data.attributes;
  if (!got) return null;
  const qs = (category && category.attributes) || [];
  // In the order the category asks them; an answer to a question since
  // removed comes last, under its code.
  const at = code => { const i = qs.findIndex(x => x.code === code); return i < 0 ? qs.length : i; };
  return Object.entries(got).sort(([a], [b]) => at(a) - at(b)).map(([code, v]) => {
    const q = qs.find(x => x.code === code);
    const name = key => ((q && q.values) || []).find(x => x.key === key)?.name || key;
    return [h('dt', null, q ? q.question : code), h('dd', { 'data-answer': code }, q && q.values ? v.split(',').map(name).join('、') : v)];
  });
}

// render draws case number into box; onChange runs after a transition.
export async function renderCase(box, number, me, onChange) {
  // The last case asked for is the one drawn: a slower answer for an
  // earlier one (the file drawn again after an action, while the next
  // case is already picked) is dropped.
  const turn = (box.turn = (box.turn || 0) + 1);
  box.replaceChildren(h('p.muted', null, t('app.loading')));
  const [c, cat, us] = await Promise.all([api('GET', `/api/v1/cases/${encodeURIComponent(number)}`), catalog(), units()]);
  if (box.turn !== turn) return c;
  const photos = (c.timeline || []).flatMap(e => (e.data && e.data.photos) || []);
  const facts = h('dl.kv', null,
    h('dt', null, t('case.number')), h('dd', { 'data-case': c.number }, c.number),
    h('dt', null, t('case.state')), h('dd', null, stateTag(c.state), c.overdue ? h('span.late', null, ' ', t('case.overdue')) : ''),
    h('dt', null, t('case.category')), h('dd', null, catName(cat, c.category), ' ', h('span.muted', null, c.category)),
    h('dt', null, t('case.urgency')), h('dd', null, t(`urgency.${c.urgency}`)),
    h('dt', null, t('case.channel')), h('dd', null, t(`channel.${c.channel}`)),
    intakeFacts((c.timeline || []).find(e => e.action === 'report')),
    answerFacts((c.timeline || []).find(e => e.action === 'report'), cat.byId.get(c.category)),
    h('dt', null, t('case.address')), h('dd', null, c.address || '—', h('br'), h('span.muted', null, placeName(c))),
    h('dt', null, t('case.reported')), h('dd', null, fmtTime(c.reported_at)),
    c.deadline ? [h('dt', null, t('case.deadline')), h('dd', null, fmtTime(c.deadline), ' ', h(c.work_left_minutes < 0 ? 'span.late' : 'span.muted', { 'data-work-left': c.work_left_minutes }, workLeft(c.work_left_minutes)))] : null,
    c.repeats ? [h('dt', null, t('case.repeats')), h('dd', null, String(c.repeats), (c.merged || []).length ? [' · ', caseLinks(c.merged)] : '')] : null,
    c.me_too ? [h('dt', null, t('case.me_too')), h('dd', { 'data-me-too': c.me_too }, t('case.me_too.n', { n: c.me_too }))] : null,
    c.answered_at ? [h('dt', null, t('case.answered')), h('dd', null, fmtTime(c.answered_at))] : null,
    c.callback_due ? [h('dt', null, t('case.callback_due')), h('dd', { 'data-callback-due': '' }, fmtTime(c.callback_due))] : null,
    c.rating ? [h('dt', null, t('case.rating')), h('dd', { 'data-rating': c.rating }, t(`rating.${c.rating}`), c.review ? h('span.warn', null, ' ', t('case.review.pending'), c.review_due ? ` · ${t('case.review_due', { at: fmtTime(c.review_due) })}` : '') : '')] : null,
    c.duplicate_of_number ? [h('dt', null, t('case.merged_into')), h('dd', null, caseLinks([c.duplicate_of_number]))] : null,
    c.reporter_reachable ? [h('dt', null, t('case.reporter')), h('dd', { id: 'reporter' }, h('button.link', { type: 'button', id: 'show-reporter', onclick: async e => {
      const dd = e.currentTarget.parentElement;
      try {
        const r = await api('GET', `/api/v1/cases/${encodeURIComponent(c.number)}/reporter`);
        dd.replaceChildren(r.name || t('case.reporter.anon'), ' ', r.phone ? h('a', { href: `tel:${r.phone}`, 'data-phone': r.phone }, r.phone) : h('span.muted', null, t('case.reporter.nophone')),
          h('div.muted', null, t('case.reporter.audited')));
      } catch (err) { dd.replaceChildren(h('span.err', null, errText(err))); }
    } }, t('case.reporter.show')))] : null);
  // caseLinks opens other cases of the trail in the same panel.
  function caseLinks(numbers) {
    return numbers.map((n, i) => [i ? '、' : '', h('a', { href: '#', 'data-open-case': n, onclick: e => { e.preventDefault(); renderCase(box, n, me, onChange); } }, n)]);
  }
  const tasks = (c.tasks || []).length ? h('table', null, h('tr', null, h('th', null, t('case.unit')), h('th', null, t('case.task')), h('th', null, t('case.deadline'))),
    c.tasks.map(k => h('tr', null, h('td', null, unitName(us, k.unit_id), k.lead ? h('span.muted', null, ' ', t('case.lead')) : ''),
      h('td', null, t(`task.${k.state}`), k.request ? h('div.warn', null, t(`request.${k.request}`), k.request_note ? `：${k.request_note}` : '') : '',
        k.contacted_at ? h('div.muted', { 'data-contacted': k.contact_method }, t('case.contacted', { at: fmtTime(k.contacted_at), how: t(`method.${k.contact_method}`) }))
          : k.contact_due ? h(Date.parse(k.contact_due) < Date.now() ? 'div.late' : 'div.warn', { 'data-contact-due': '' }, t('case.contact_due', { at: fmtTime(k.contact_due) })) : ''),
      h('td', null, fmtTime(k.deadline), k.work_taken_minutes !== undefined ? h(k.work_allowed_minutes !== undefined && k.work_taken_minutes > k.work_allowed_minutes ? 'div.late' : 'div.muted',
        { 'data-taken': k.work_taken_minutes }, t(k.done_at ? 'case.took' : 'case.taking', { d: duration(k.work_taken_minutes), l: k.work_allowed_minutes !== undefined ? duration(k.work_allowed_minutes) : '—' })) : '')))) : null;
  const timeline = h('ol.timeline', null, (c.timeline || []).map(e => h('li', null,
    h('b', null, t(`action.${e.action}`)), ' ', h('span.muted', null, fmtTime(e.at), ' · ', t(`role.${e.role}`), e.by ? ` ${e.by}` : '', e.unit_id ? ` · ${unitName(us, e.unit_id)}` : ''),
    e.reason ? h('div', null, e.reason) : null,
    e.data && e.data.late ? h('div', { 'data-late': e.data.late.step }, t('case.late', { step: t(`step.${e.data.late.step}`), due: fmtTime(e.data.late.due) })) : null,
    e.data && e.data.contact ? h('div', null, t('case.contacted', { at: fmtTime(e.data.contact.at), how: t(`method.${e.data.contact.method}`) })) : null,
    e.data && e.data.answer ? h('div', { 'data-reply': '' }, h('b', null, t('case.reply'), '：'), e.data.answer.reply, ' ', h('span.muted', null, t(e.data.answer.solved ? 'case.solved' : 'case.unsolved'))) : null,
    e.data && e.data.reach && e.data.reach !== 'reached' ? h('div.muted', null, t(`reach.${e.data.reach}`)) : null,
    e.data && e.data.rating ? h('div', null, t(`rating.${e.data.rating}`), e.data.solved !== undefined ? ` · ${t(e.data.solved ? 'case.solved' : 'case.unsolved')}` : '') : null,
    e.data && e.data.justified !== undefined ? h('div', null, t(e.data.justified ? 'review.justified' : 'review.unjustified')) : null,
    e.data && e.data.note ? h('div', e.data.answer ? { 'data-internal-note': '' } : null, e.data.answer ? h('span.muted', null, t('case.internal_note'), '：') : '', e.data.note) : null,
    e.data && e.data.assignments ? h('div.muted', null, e.data.assignments.map(a => `${unitName(us, a.unit_id)}${a.lead ? '（' + t('case.lead') + '）' : ''}${a.rule ? ' — ' + a.rule : ''}`).join('；')) : null,
    e.data && e.data.corrected ? h('div.warn', { 'data-corrected': '' }, corrected(e, cat)) : null,
    e.data && e.data.photos ? photoStrip(e.data.photos) : null)));
  const extra = h('div.noprint');
  const actions = h('div.actions', { 'aria-label': t('case.actions') });
  const formBox = h('div');
  for (const a of c.actions || []) {
    actions.append(h('button', { type: 'button', 'data-action': a, onclick: () => openForm(formBox, a, c, us, cat, me, async () => {
      toast(t('case.done', { action: t(`action.${a}`) }));
      await renderCase(box, number, me, onChange);
      if (onChange) onChange(c.number);
    }) }, t(`action.${a}`)));
  }
  // The file prints alone (案卷): the page around it is hidden in print.
  const print = h('button.link.noprint', { type: 'button', 'data-print': '', onclick: () => {
    document.body.classList.add('print-case'); box.classList.add('printing');
    const done = () => { document.body.classList.remove('print-case'); box.classList.remove('printing'); window.removeEventListener('afterprint', done); };
    window.addEventListener('afterprint', done);
    window.print();
  } }, t('case.print'));
  fill(box,
    h('div.actions', null, h('h2', { style: 'flex:1' }, c.description || c.number), print),
    facts, photos.length ? [h('h3', null, t('case.photos')), photoStrip(photos)] : null,
    tasks ? [h('h3', null, t('case.tasks')), tasks] : null,
    (c.actions || []).length ? [h('h3.noprint', null, t('case.actions')), actions, formBox] : h('p.muted.noprint', null, t('case.noactions')),
    extra,
    h('h3', null, t('case.timeline')), timeline);
  if (['dispatcher', 'operator', 'admin', 'leader'].includes(me.role)) extra.append(deliveryRecord(c));
  if (['dispatcher', 'operator', 'admin'].includes(me.role) && (c.deadlines || []).length) extra.append(notifyDryRun(c, us));
  if (['dispatcher', 'operator', 'admin', 'leader'].includes(me.role) && c.state !== 'closed' && c.state !== 'voided') {
    // The suggested department only while the case is still to be
    // dispatched: on a case in a department's hands it reads as an order.
    if ((c.actions || []).some(a => a === 'register' || a === 'dispatch')) api('GET', `/api/v1/route?lon=${c.lon}&lat=${c.lat}&category=${c.category}&case=${c.number}`).then(r => {
      const d = r.decision;
      extra.append(h('div.panel', { 'data-suggest': d.lead.code }, h('b', null, t('case.suggest')), ' ', d.lead.name,
        (d.assist || []).length ? ` + ${d.assist.map(u => u.name).join('、')}` : '', h('div.muted', null, t('case.rule'), ' ', d.why)));
    }).catch(() => {});
    api('GET', `/api/v1/cases/${c.number}/duplicates`).then(r => {
      if (!r.candidates.length) return;
      extra.append(h('div.panel', null, h('b', null, t('case.duplicates', { m: r.radius_m })),
        h('ul', null, r.candidates.map(d => h('li', null, `${d.number} · ${Math.round(d.distance_m)} m · `, stateTag(d.state), ' ', d.description || '')))));
    }).catch(() => {});
  }
  return c;
}

// deliveryRecord is the case's 通知记录: every message sent about it
// through SMS, e-mail or a group robot, the addresses masked; read when
// opened.
function deliveryRecord(c) {
  const body = h('div', null, h('p.muted', null, t('app.loading')));
  const d = h('details.panel.noprint', { id: 'delivery-record', ontoggle: async () => {
    if (!d.open || d.dataset.loaded) return;
    try {
      const r = await api('GET', `/api/v1/cases/${encodeURIComponent(c.number)}/sends?lang=${lang}`);
      d.dataset.loaded = '1';
      body.replaceChildren(sendsTable(r.sends || [], false));
    } catch (err) { body.replaceChildren(h('p.err', null, errText(err))); }
  } }, h('summary', null, h('b', null, t('sends.record'))), body);
  return d;
}

// notifyDryRun asks who would be told what if the case's running
// deadlines reached a stage now, and through which channels; it changes
// nothing.
function notifyDryRun(c, us) {
  const stage = h('select', { id: 'dryrun-stage', 'aria-label': t('field.stage') }, ['warning', 'overdue', 'escalated'].map(s => h('option', { value: s, selected: s === 'overdue' || undefined }, t(`dryrun.stage.${s}`))));
  const out = h('div', { id: 'dryrun-result', 'aria-live': 'polite' });
  const who = p => `${p.name}（${t(`dryrun.as.${p.as}`)}${p.phone ? ' ' + p.phone : ''}${p.email ? ' ' + p.email : ''}）`;
  const run = async () => {
    out.replaceChildren(h('p.muted', null, t('app.loading')));
    try {
      const r = await api('POST', `/api/v1/notification-rules/dry-run?lang=${lang}`, { case: c.number, stage: stage.value });
      const lines = r.deadlines.flatMap(d => d.lines.map(l => ({ d, l })));
      out.replaceChildren(h('p.muted', null, t('dryrun.at', { at: fmtTime(r.at) })),
        r.deadlines.filter(d => d.refused).map(d => h('p.muted', null, t('dryrun.refused', { step: t(`step.${d.step}`) }))),
        lines.length ? h('ol.dryrun', null, lines.map(({ d, l }) => h('li', { 'data-dry-kind': l.kind },
          h('div', null, h('b', null, l.text), ' ', h(`span.level.${l.level}`, null, t(`level.${l.level}`)), l.ladder ? h('span.muted', null, ' · ', t('dryrun.ladder')) : ''),
          h('div.muted', null, t(`step.${d.step}`), d.via ? ` · ${t(`dryrun.via.${d.via}`)}` : '', ' → ', l.unit || l.account || ''),
          l.robots.length ? h('div', { 'data-dry-robots': '' }, t('dryrun.robots'), '：', l.robots.map(b => `${b.name}（${t(`robot.kind.${b.kind}`)}）`).join('、')) : '',
          l.people.length ? h('div', { 'data-dry-people': '' }, t('dryrun.people'), '：', l.people.map(who).join('、')) : '',
          l.sends.length ? h('ul.sends-plan', null, l.sends.map(x => h('li', { 'data-dry-send': x.channel, 'data-dry-step': x.step },
            t(`sends.channel.${x.channel}`), ' → ', x.to, x.who && x.channel !== 'robot' ? `（${x.who}）` : '', ' · ', t(`sends.step.${x.step}`), ' · ', fmtTime(x.not_before))))
            : h('div.muted', { 'data-dry-nosend': '' }, t('dryrun.inbox_only'))))) : h('p.muted', { id: 'dryrun-none' }, t('dryrun.none')));
    } catch (err) { out.replaceChildren(h('p.err', null, errText(err))); }
  };
  return h('section.panel.noprint', { id: 'dryrun' }, h('h3', null, t('dryrun.title')), h('p.muted', null, t('dryrun.help')),
    h('div.actions', null, stage, h('button', { type: 'button', id: 'dryrun-go', onclick: run }, t('dryrun.go'))), out);
}

async function openForm(box, action, c, us, cat, me, done) {
  const body = { version: c.version };
  const msg = h('p.err', { role: 'alert' });
  const photoIds = [];
  const getters = [];
  const rows = [];
  for (const [field, kind, required] of forms[action] || []) {
    const label = t(`field.${field}`) + (required ? ' *' : '');
    if (kind === 'text') {
      const el = h('textarea', { 'data-field': field, required: required || undefined });
      rows.push(h('label', null, h('span', null, label), el));
      getters.push(() => { if (el.value.trim()) body[field] = el.value.trim(); });
    } else if (kind === 'bool') {
      const el = h('select', { 'data-field': field }, h('option', { value: 'true' }, t('yes')), h('option', { value: 'false' }, t('no')));
      rows.push(h('label', null, h('span', null, label), el));
      getters.push(() => { body[field] = el.value === 'true'; });
    } else if (kind === 'check') {
      const el = h('input', { type: 'checkbox', 'data-field': field });
      rows.push(h('label', null, el, ' ', label));
      getters.push(() => { if (el.checked) body[field] = true; });
    } else if (kind === 'case') {
      const el = h('input', { 'data-field': field, placeholder: 'C2026…' });
      rows.push(h('label', null, h('span', null, label), el));
      getters.push(() => { body[field] = el.value.trim(); });
    } else if (kind.startsWith('pick:')) {
      // One of a few values, each in words.
      const opts = kind.slice(5).split(',');
      const el = h('select', { 'data-field': field }, required ? null : h('option', { value: '' }, '—'), opts.map(v => h('option', { value: v }, t(`${field}.${v}`))));
      rows.push(h('label', null, h('span', null, label), el));
      getters.push(() => { if (el.value) body[field] = el.value; });
    } else if (kind === 'now') {
      // A time that just passed, Beijing time, now unless changed.
      const el = h('input', { type: 'datetime-local', 'data-field': field, value: new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 16) });
      rows.push(h('label', null, h('span', null, label), el));
      getters.push(() => { if (el.value) body[field] = new Date(el.value + ':00+08:00').toISOString(); });
    } else if (kind === 'datetime') {
      const el = h('input', { type: 'datetime-local', 'data-field': field });
      rows.push(h('label', null, h('span', null, label), el));
      getters.push(() => { if (el.value) body[field] = new Date(el.value + ':00+08:00').toISOString(); });
    } else if (kind === 'photos') {
      rows.push(h('label', null, h('span', null, label)), photoInput(photoIds));
      getters.push(() => { if (photoIds.length) body.photos = photoIds; });
    } else if (kind.startsWith('task:')) {
      const want = kind.slice(5);
      const el = h('select', { 'data-field': field }, (c.tasks || []).filter(k => k.request === want).map(k => {
        const u = us.byId.get(k.unit_id);
        return h('option', { value: u ? u.code : '' }, `${u ? u.name : k.unit_id}：${k.request_note || ''}`);
      }));
      rows.push(h('label', null, h('span', null, label), el));
      getters.push(() => { body[field] = el.value; });
    } else if (kind === 'correct') {
      // The report's category or place put right: sent only when changed;
      // dispatch by the table then follows the corrected ones.
      const catIn = h('input', { 'data-field': 'category', list: 'correct-cats', value: c.category, size: 10 });
      const name = h('span.muted', null, catName(cat, c.category));
      catIn.addEventListener('input', () => { name.textContent = catName(cat, catIn.value.trim()); });
      const lon = h('input', { 'data-field': 'lon', value: String(c.lon), size: 11, inputmode: 'decimal' });
      const lat = h('input', { 'data-field': 'lat', value: String(c.lat), size: 10, inputmode: 'decimal' });
      rows.push(h('details', { 'data-correct': '' }, h('summary', null, t('field.correct')),
        h('label', null, h('span', null, t('case.category')), catIn, ' ', name), h('datalist', { id: 'correct-cats' }, cat.list.map(x => h('option', { value: x.id }, x.name))),
        h('div.actions', null, h('label', null, h('span', null, t('field.lon')), lon), h('label', null, h('span', null, t('field.lat')), lat))));
      getters.push(() => {
        const v = catIn.value.trim();
        if (v && v !== c.category) body.category = v;
        if (Number(lon.value) !== c.lon || Number(lat.value) !== c.lat) { body.lon = Number(lon.value); body.lat = Number(lat.value); }
      });
    } else if (kind === 'knowledge') {
      // The knowledge points cited at the desk (knowledge.js): each kept
      // unless unticked; the answer's text starts from their content.
      const { cited } = await import('./knowledge.js');
      if (!cited.length) continue;
      const boxes = cited.map(p => h('input', { type: 'checkbox', checked: true, value: String(p.id), 'data-knowledge': p.id }));
      rows.push(h('fieldset', { 'data-field': 'knowledge' }, h('legend', null, t('field.knowledge')),
        cited.map((p, i) => h('label', null, boxes[i], ' ', p.title))));
      const note = rows.map(r => r.querySelector && r.querySelector('textarea[data-field="note"]')).find(Boolean);
      if (note && !note.value) note.value = cited.map(p => p.content).join('\n');
      getters.push(() => { const ids = boxes.filter(b => b.checked).map(b => Number(b.value)); if (ids.length) body.knowledge = ids; });
    } else if (kind === 'decision') {
      // An arbitration names the departments itself: the lead, and those
      // who assist (the returning one among them if it still has a part).
      const depts = us.list.filter(u => ['department', 'street', 'community', 'property'].includes(u.kind));
      const lead = h('select', { 'data-field': 'lead' }, depts.map(u => h('option', { value: u.code }, u.name)));
      const assist = h('select', { multiple: true, size: 4, 'data-field': 'assist' }, depts.map(u => h('option', { value: u.code }, u.name)));
      rows.push(h('label', null, h('span', null, t('dispatch.lead') + ' *'), lead), h('label', null, h('span', null, t('dispatch.assist')), assist));
      getters.push(() => {
        body.assignments = [{ unit: lead.value, lead: true }, ...[...assist.selectedOptions].filter(o => o.value !== lead.value).map(o => ({ unit: o.value }))];
      });
    } else if (kind === 'dispatch') {
      const auto = h('input', { type: 'radio', name: 'dmode', value: 'auto', checked: true, 'data-field': 'auto' });
      const manual = h('input', { type: 'radio', name: 'dmode', value: 'manual' });
      const depts = us.list.filter(u => ['department', 'street', 'community', 'property'].includes(u.kind));
      const lead = h('select', { 'data-field': 'lead' }, depts.map(u => h('option', { value: u.code }, u.name)));
      const assist = h('select', { multiple: true, size: 4, 'data-field': 'assist' }, depts.map(u => h('option', { value: u.code }, u.name)));
      rows.push(h('label', null, auto, ' ', t('dispatch.auto')), h('label', null, manual, ' ', t('dispatch.manual')),
        h('label', null, h('span', null, t('dispatch.lead')), lead), h('label', null, h('span', null, t('dispatch.assist')), assist));
      getters.push(() => {
        if (auto.checked) { body.auto = true; return; }
        body.assignments = [{ unit: lead.value, lead: true }, ...[...assist.selectedOptions].filter(o => o.value !== lead.value).map(o => ({ unit: o.value }))];
      });
    }
  }
  const submit = h('button.primary', { type: 'submit', 'data-submit': action }, t('submit'));
  const form = h('form.form', { onsubmit: async e => {
    e.preventDefault();
    for (const g of getters) g();
    if (action === 'callback' && body.reach !== 'reached') { delete body.rating; delete body.solved; }
    submit.disabled = true;
    try {
      await api('POST', `/api/v1/cases/${c.number}/actions/${action}`, body);
      if (action === 'answer' && body.knowledge) { (await import('./knowledge.js')).cited.length = 0; document.dispatchEvent(new CustomEvent('xiuhua:cited')); }
      await done();
    } catch (err) { msg.textContent = errText(err); submit.disabled = false; }
  } }, h('h3', null, t(`action.${action}`)), rows, msg, submit, ' ', h('button', { type: 'button', onclick: () => box.replaceChildren() }, t('cancel')));
  box.replaceChildren(form);
  const first = form.querySelector('textarea,select,input');
  if (first) first.focus();
}
