// 摄像头与传感器: the administrator's device registry. Each camera's place
// (a click on the map, or its point typed), the grid the server finds for
// it, the categories it may raise with their event types, whether each
// registers a case by itself, its threshold, dwell and active hours; a
// camera is turned off rather than deleted, so its alarms keep their
// camera. Beside each, its false-alarm rate (误报率) from the reviews.
import { api, catalog, catName, confirmDialog, errText, h, t, toast } from './lib.js';
import { VectorMap } from './map.js';

const hhmm = m => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const minutes = s => { const [a, b] = s.split(':').map(Number); return a * 60 + b; };

export async function devicesView() {
  const [r, rates, cat] = await Promise.all([api('GET', '/api/v1/admin/devices'), api('GET', '/api/v1/alarm-rates'), catalog()]);
  const wrap = h('div', { id: 'devices-view' });
  const reload = async () => wrap.replaceWith(await devicesView());
  const rateOf = new Map(rates.devices.map(x => [x.key, x]));
  const edits = h('div');
  const rows = r.devices.map(d => {
    const rt = rateOf.get(String(d.id));
    return h('tr', { 'data-device': d.code },
      h('td', null, d.code), h('td', null, d.name), h('td', null, t(`channel.${d.kind}`)), h('td', null, d.grid),
      h('td', null, d.raises.map(x => catName(cat, x.category) + (x.auto ? ` (${t('devices.auto')})` : '')).join('、')),
      h('td.n', null, String(d.threshold)), h('td', null, d.hours.from === d.hours.to ? t('devices.allday') : `${hhmm(d.hours.from)}–${hhmm(d.hours.to)}`),
      h('td.n', { 'data-rate': d.code }, rt && rt.reviewed ? `${Math.round(rt.rate * 100)}% (${rt.false}/${rt.reviewed})` : '—'),
      h('td', null, d.active ? t('devices.on') : h('span.late', null, t('devices.off'))),
      h('td', null, h('button.link', { type: 'button', 'data-edit-device': d.code, onclick: () => { edits.replaceChildren(form(d)); edits.scrollIntoView(); } }, t('admin.user.edit')), ' ',
        h('button.link', { type: 'button', 'data-toggle-device': d.code, onclick: async () => {
          if (d.active && !await confirmDialog(t('devices.off.q', { name: d.name }), t('devices.off.detail'), t('devices.turnoff'))) return;
          try { await api('PUT', `/api/v1/admin/devices/${d.id}`, { ...d, grid: undefined, community: undefined, street: undefined, id: undefined, active: !d.active }); toast(t('admin.saved')); await reload(); } catch (err) { toast(errText(err)); }
        } }, t(d.active ? 'devices.turnoff' : 'devices.turnon'))));
  });
  function form(d) {
    const f = {
      source: h('input', { name: 'source', required: true, maxlength: 200, value: d ? d.source : 'hik-isc-pingcheng' }),
      code: h('input', { name: 'code', required: true, maxlength: 200, value: d ? d.code : '' }),
      name: h('input', { name: 'name', required: true, maxlength: 200, value: d ? d.name : '' }),
      kind: h('select', { name: 'kind' }, ['video', 'iot'].map(k => h('option', { value: k, selected: d && d.kind === k }, t(`channel.${k}`)))),
      lon: h('input', { name: 'lon', inputmode: 'decimal', value: d ? d.lon : '' }),
      lat: h('input', { name: 'lat', inputmode: 'decimal', value: d ? d.lat : '' }),
      threshold: h('input', { name: 'threshold', type: 'number', min: 0, max: 1, step: 0.05, value: d ? d.threshold : 0.6 }),
      dwell: h('input', { name: 'dwell', type: 'number', min: 0, max: 86400, value: d ? d.dwell : 60 }),
      from: h('input', { name: 'from', type: 'time', value: hhmm(d ? d.hours.from : 0) }),
      to: h('input', { name: 'to', type: 'time', value: hhmm(d ? d.hours.to : 0) }),
    };
    const raises = h('tbody');
    const addRaise = x => raises.append(h('tr.raise', null,
      h('td', null, h('input', { 'data-r': 'category', list: 'device-cats', size: 10, value: x ? x.category : '', 'aria-label': t('field.category') })),
      h('td', null, h('input', { 'data-r': 'events', size: 22, value: x ? x.events.join(', ') : '', 'aria-label': t('field.events') })),
      h('td', null, h('input', { 'data-r': 'auto', type: 'checkbox', checked: x && x.auto || undefined, 'aria-label': t('devices.auto') })),
      h('td', null, h('input', { 'data-r': 'evidence', type: 'checkbox', checked: x && x.evidence || undefined, 'aria-label': t('devices.evidence') })),
      h('td', null, h('button.link', { type: 'button', onclick: e => e.currentTarget.closest('tr').remove() }, t('admin.delete')))));
    (d ? d.raises : [{ category: 'M09009', events: ['illegal_parking'], auto: true }]).forEach(addRaise);
    const msg = h('p.err', { role: 'alert' });
    const mapBox = h('div', { style: 'height:240px' });
    const el = h('form.panel', { id: 'device-form', novalidate: true, onsubmit: async e => {
      e.preventDefault();
      msg.textContent = '';
      const body = { source: f.source.value.trim(), code: f.code.value.trim(), name: f.name.value.trim(), kind: f.kind.value,
        lon: Number(f.lon.value), lat: Number(f.lat.value), threshold: Number(f.threshold.value), dwell: Number(f.dwell.value),
        hours: { from: minutes(f.from.value || '00:00'), to: minutes(f.to.value || '00:00') }, active: d ? d.active : true,
        raises: [...raises.querySelectorAll('tr')].map(tr => ({ category: tr.querySelector('[data-r=category]').value.trim(),
          events: tr.querySelector('[data-r=events]').value.split(/[,，\s]+/).filter(Boolean),
          auto: tr.querySelector('[data-r=auto]').checked, evidence: tr.querySelector('[data-r=evidence]').checked })) };
      try {
        await api(d ? 'PUT' : 'POST', d ? `/api/v1/admin/devices/${d.id}` : '/api/v1/admin/devices', body);
        toast(t('admin.saved')); await reload();
      } catch (err) { msg.textContent = errText(err); }
    } }, h('h2', null, d ? t('devices.edit', { name: d.name }) : t('devices.new')), h('p.muted', null, t('devices.help')),
      h('div.actions', null, Object.entries(f).map(([k, x]) => h('label', null, h('span', null, t(`devices.f.${k}`)), x))),
      mapBox,
      h('div.scroll', null, h('table', { id: 'device-raises' }, h('thead', null, h('tr', null, ['category', 'events', 'auto', 'evidence'].map(k => h('th', null, t(`devices.r.${k}`))), h('th', null, ''))), raises)),
      h('datalist', { id: 'device-cats' }, cat.list.filter(c => c.kind === 'matter').map(c => h('option', { value: c.id }, c.name))),
      h('div.actions', null, h('button', { type: 'button', onclick: () => addRaise(null) }, t('devices.addraise'))), msg,
      h('div.actions', null, h('button.primary', { type: 'submit', 'data-device-save': d ? d.code : 'new' }, t(d ? 'admin.user.save' : 'devices.add')),
        d ? h('button', { type: 'button', onclick: () => el.remove() }, t('cancel')) : ''));
    queueMicrotask(() => {
      const map = new VectorMap(mapBox, { onPoint: (lon, lat) => { f.lon.value = lon.toFixed(6); f.lat.value = lat.toFixed(6); } });
      if (d) map.ready.then(() => map.setMarker(d.lon, d.lat)).catch(() => {});
    });
    return el;
  }
  // The list first (what an administrator comes to check), the edit
  // form under it, a new registration last.
  wrap.append(h('section.panel', null, h('h2', null, t('devices.n', { n: r.devices.length })),
    r.devices.length ? h('div.scroll', null, h('table', { id: 'devices' }, h('tr', null, ['code', 'name', 'kind', 'grid', 'raises', 'threshold', 'hours', 'rate', 'state'].map(k => h('th', null, t(`devices.col.${k}`))), h('th', null, '')), rows))
      : h('p.muted', null, t('devices.none')),
    rates.models.length ? h('p', { id: 'model-rates' }, t('devices.models'), ' ', rates.models.filter(m => m.reviewed).map(m => `${m.key || '—'} ${Math.round(m.rate * 100)}% (${m.false}/${m.reviewed})`).join('；')) : ''), edits, form(null));
  return wrap;
}
