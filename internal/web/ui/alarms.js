// The 疑似 queue: camera and sensor alarms waiting for a person. Each line
// shows the snapshot, the camera, the category and confidence and the
// repeats counted on it; the dispatcher accepts it into a case (with its
// snapshots), marks it false with a reason, or merges it into an open case.
import { api, catName, errText, fmtTime, h, t, toast } from './lib.js';

export async function renderAlarms(box, cat, done) {
  box.replaceChildren(h('p.muted', null, t('app.loading')));
  let r;
  try { r = await api('GET', '/api/v1/alarms?limit=100'); } catch (e) { box.replaceChildren(h('p.err', null, errText(e))); return; }
  if (!r.alarms.length) { box.replaceChildren(h('p.muted', null, t('alarms.empty'))); return; }
  const list = h('ul.alarms', { 'aria-label': t('centre.tab.suspected') });
  for (const a of r.alarms) list.append(line(a, cat, done));
  box.replaceChildren(list);
}

function line(a, cat, done) {
  const msg = h('p.err', { role: 'alert' });
  const reason = h('input', { maxlength: 500, placeholder: t('alarms.reason'), 'aria-label': t('alarms.reason'), 'data-reason': a.id });
  const number = h('input', { maxlength: 20, placeholder: t('alarms.case'), 'aria-label': t('alarms.case'), 'data-case': a.id });
  async function decide(verdict, body) {
    msg.textContent = '';
    try {
      const out = await api('POST', `/api/v1/alarms/${a.id}/review`, { verdict, ...body });
      toast(out.case ? t(`alarms.done.${verdict}`, { number: out.case }) : t('alarms.done.false'));
      done();
    } catch (e) { msg.textContent = errText(e); }
  }
  const shot = a.snapshots.find(s => s.startsWith('/api/v1/photos/'));
  return h('li.alarm', { 'data-alarm': a.id },
    shot ? h('img', { src: shot + '?thumb=1', alt: t('alarms.snapshot'), width: 120, height: 90, loading: 'lazy' }) : h('div.noshot', null, t('alarms.noshot')),
    h('div', null,
      h('div', null, h('b', null, catName(cat, a.category)), ' ', h('span.muted', null, t('alarms.confidence', { n: Math.round(a.confidence * 100) }))),
      h('div.muted', null, a.device, ' · ', fmtTime(a.at), a.model ? ' · ' + a.model : ''),
      a.repeats ? h('div.warn', { 'data-repeats': a.repeats }, t('alarms.repeats', { n: a.repeats })) : '',
      h('div.actions', null,
        h('button', { type: 'button', 'data-accept': a.id, onclick: () => decide('accept', {}) }, t('alarms.accept')),
        h('span.pair', null, reason, h('button', { type: 'button', 'data-false': a.id, onclick: () => decide('false', { reason: reason.value }) }, t('alarms.false'))),
        h('span.pair', null, number, h('button', { type: 'button', 'data-merge': a.id, onclick: () => decide('merge', { case: number.value.trim() }) }, t('alarms.merge')))),
      msg));
}
