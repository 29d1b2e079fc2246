// The notification rules as staff read them (通知规则): who is told what
// and when, each rule's message worded for an example case, and the
// escalation ladder's waits — from GET /api/v1/notification-rules in the
// reader's language. On the admin page and under 我的通知方式.
import { api, h, lang, t } from './lib.js';

export async function rulesView() {
  const r = await api('GET', `/api/v1/notification-rules?lang=${lang}`);
  const wait = m => m === 0 ? t('notify.ladder.at_once') : m % 60 ? t('time.hm', { h: Math.floor(m / 60), m: m % 60 }) : t('notify.ladder.hours', { h: m / 60 });
  return h('div', { id: 'notify-view' },
    h('section.panel', null, h('h2', null, t('notify.channels')), h('p.muted', null, t('notify.channels.help')),
      h('ul', { id: 'notify-channels' }, (r.channels || []).map(c => h('li', { 'data-channel': c.kind, 'data-configured': String(c.configured) },
        h('b', null, t(`notify.channel.${c.kind}`)), ' — ', c.configured ? [t('notify.channel.on'), ' ', h('span.muted.code', null, c.endpoint)] : h('span.muted', null, t('notify.channel.off')))))),
    h('section.panel', null, h('h2', null, t('notify.ladder')), h('p.muted', null, t('notify.ladder.help')),
      h('ol', { id: 'ladder' }, r.ladder.map(s => h('li', { 'data-ladder-step': s.name }, h('b', null, s.text), ' — ',
        s.off ? h('span.muted', null, t('notify.ladder.off')) : t('notify.ladder.after', { d: wait(s.wait_minutes) }))))),
    h('section.panel', null, h('h2', null, t('notify.rules', { n: r.rules.length })), h('p.muted', null, t('notify.rules.help')),
      h('div.scroll', null, h('table', { id: 'notify-rules' }, h('thead', null, h('tr', null, ['on', 'when', 'to', 'level', 'ladder', 'example'].map(k => h('th', null, t(`notify.col.${k}`))))),
        h('tbody', null, r.rules.map(x => h('tr', { 'data-rule-on': x.on, 'data-rule-to': x.to },
          h('td', null, x.on_text, h('div.muted.code', null, x.on)), h('td', null, x.when_text || '—'), h('td', null, x.to_text),
          h('td', null, h(`span.level.${x.level}`, null, x.level_text)), h('td', null, x.ladder ? t('yes') : ''), h('td', null, x.example))))))));
}
