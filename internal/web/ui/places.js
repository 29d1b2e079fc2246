// The district's streets and communities by name, for address search at
// the hotline desk and on the residents' report form: each with a box and
// a point inside it, searched by Chinese or pinyin initials.
import { initials } from './lib.js';

// shortName drops the committee's title from a community's official name
// (恒大社区居民委员会 → 恒大社区).
export const shortName = n => (n || '').replace(/(居民|村民)委员会$/, '');

let placesP;
export function placeIndex(loadLayer) {
  placesP ||= loadLayer().then(l => {
    const sc = l.scale, acc = new Map();
    const add = (code, i, lon, lat) => {
      let a = acc.get(code);
      if (!a) acc.set(code, a = { box: [lon, lat, lon, lat], sx: 0, sy: 0, n: 0, cells: [] });
      a.box = [Math.min(a.box[0], lon), Math.min(a.box[1], lat), Math.max(a.box[2], lon), Math.max(a.box[3], lat)];
      a.sx += lon; a.sy += lat; a.n++; a.cells.push(i);
    };
    l.cells.forEach((c, i) => {
      const g = l.grids[c[0]];
      if (!g) return;
      const lon = c[1] / sc, lat = c[2] / sc;
      add(g.street, i, lon, lat); add(g.community, i, lon, lat);
    });
    // A point inside: the centre of the cell nearest the mean.
    const inside = a => {
      const mx = a.sx / a.n, my = a.sy / a.n;
      let best = a.cells[0], bd = Infinity;
      for (const i of a.cells) { const d = (l.cells[i][1] / sc - mx) ** 2 + (l.cells[i][2] / sc - my) ** 2; if (d < bd) { bd = d; best = i; } }
      const c = l.cells[best];
      let x = 0, y = 0, sx = 0, sy = 0, n = 0;
      for (let j = 1; j < c.length; j += 2) { x += c[j]; y += c[j + 1]; sx += x; sy += y; n++; }
      return [sx / n / sc, sy / n / sc];
    };
    const street = new Map(l.streets.map(s => [s.code, s.name]));
    const out = [];
    for (const s of l.streets) { const a = acc.get(s.code); if (a) out.push({ code: s.code, name: s.name, full: s.name, box: a.box, at: inside(a) }); }
    for (const c of l.communities) { const a = acc.get(c.code); if (a) out.push({ code: c.code, name: c.name, full: `${shortName(c.name)} · ${street.get(c.street) || ''}`, box: a.box, at: inside(a) }); }
    for (const p of out) p.py = initials(p.name);
    return out;
  });
  return placesP;
}

// searchPlaces finds places by a part of their name or their pinyin
// initials (HDSQ → 恒大社区).
export function searchPlaces(all, q) {
  q = q.trim();
  if (!q) return [];
  const up = q.toUpperCase();
  return all.filter(p => p.full.includes(q) || (/^[A-Z]+$/.test(up) && p.py.startsWith(up))).slice(0, 8);
}
