// A vector map on a canvas: the district outline, streets (unit grids filled
// by street), and cases as points or per-cell counts. Web Mercator, so a
// raster tile layer (e.g. Tianditu) can sit behind it when configured; with
// none it works offline. Pan with drag or arrow keys, zoom with the wheel,
// + and -, or the buttons.
import { h, t } from './lib.js';

let layerP;
export function loadLayer() {
  layerP ||= fetch('/api/v1/places/map').then(r => { if (!r.ok) throw new Error('map layer ' + r.status); return r.json(); })
    .then(l => { performance.mark('xiuhua:layer-loaded'); return l; });
  return layerP;
}

const TILE = 256;
const mx = lon => (lon + 180) / 360;
const my = lat => { const s = Math.sin(lat * Math.PI / 180); return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI); };
const unx = x => x * 360 - 180;
const uny = y => 360 / Math.PI * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) - 90;
const streetColors = ['#f3d9c9', '#d9e7f3', '#dcefd9', '#efe3f5', '#f7efcc', '#d5efec', '#f5d7de', '#e1e4f6', '#e9f1d0', '#f3e0cc', '#d9ecf7', '#ead9f3'];
export const stateColors = { reported: '#e08a00', registered: '#d1a000', dispatched: '#1f6fbf', in_progress: '#2a8fd4', suspended: '#888',
  pending_check: '#7a4fbf', pending_close: '#5c8a2a', closed: '#23824a', voided: '#aaa' };

// The wall's dark theme: streets in blues on night ground.
const darkStreets = ['#16304f', '#1b3a5e', '#14375a', '#1d3456', '#183a63', '#1a3150', '#15345a', '#1c3b5f', '#173252', '#1b365c', '#163a58', '#1a3355'];

export class VectorMap {
  // opts: onPick(case), onCluster(cluster) (default: zoom in), onPoint(lon, lat), onView(bbox),
  // dark (the wall's colours), heat (clusters drawn as a heat map), fitAlways (the whole district at every size)
  constructor(box, opts = {}) {
    this.box = box; this.opts = opts; this.points = []; this.clusters = []; this.marker = null; this.sel = null;
    this.canvas = h('canvas', { tabindex: 0, role: 'img', 'aria-label': t('map.label') });
    const zin = h('button', { type: 'button', title: t('map.zoomin'), onclick: () => this.zoomBy(1) }, '+');
    const zout = h('button', { type: 'button', title: t('map.zoomout'), onclick: () => this.zoomBy(-1) }, '−');
    this.legend = h('div.legend', null, t('map.legend'));
    box.classList.add('mapbox');
    box.append(this.canvas, h('div.zoom', null, zin, zout), this.legend);
    this.ready = loadLayer().then(l => this.setLayer(l));
    new ResizeObserver(() => this.resize()).observe(box);
    this.bind();
  }

  setLayer(l) {
    this.layer = l;
    const [x0, y0] = [mx(l.bbox[0]), my(l.bbox[3])];
    this.origin = [x0, y0];
    const K = 1 << 20; // local units: pixels at zoom 12
    this.K = K;
    const P = (lon, lat) => [(mx(lon) - x0) * K * TILE / 256, (my(lat) - y0) * K * TILE / 256];
    this.P = P;
    this.outline = new Path2D();
    for (const ring of l.outline) ring.forEach(([lon, lat], i) => { const [x, y] = P(lon, lat); i ? this.outline.lineTo(x, y) : this.outline.moveTo(x, y); });
    const streetIdx = new Map(l.streets.map((s, i) => [s.code, i]));
    this.streetPaths = l.streets.map(() => new Path2D());
    const sc = l.scale;
    for (const c of l.cells) {
      const g = l.grids[c[0]];
      const si = g ? streetIdx.get(g.street) ?? 0 : 0;
      const path = this.streetPaths[si];
      let lon = 0, lat = 0;
      for (let i = 1; i < c.length; i += 2) {
        lon += c[i]; lat += c[i + 1];
        const [x, y] = P(lon / sc, lat / sc);
        if (i === 1) path.moveTo(x, y); else path.lineTo(x, y);
      }
      path.closePath();
    }
    performance.mark('xiuhua:layer-built');
    if (!this.w) this.resize(); else this.fit(l.bbox);
  }

  resize() {
    const r = this.box.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.w = r.width; this.hgt = r.height;
    this.canvas.width = Math.max(1, r.width * dpr); this.canvas.height = Math.max(1, r.height * dpr);
    this.dpr = dpr;
    if (this.layer && (!this.view || this.opts.fitAlways)) this.fit(this.layer.bbox); else this.draw();
  }

  // fit shows a lon/lat box.
  fit(b) {
    if (!this.w) return;
    const [ax, ay] = this.P(b[0], b[3]), [bx, by] = this.P(b[2], b[1]);
    const s = Math.min(this.w / (bx - ax), this.hgt / (by - ay)) * 0.95;
    this.view = { s, cx: (ax + bx) / 2, cy: (ay + by) / 2 };
    this.draw(); this.changed();
  }

  zoomBy(d, px = this.w / 2, py = this.hgt / 2) {
    const v = this.view; if (!v) return;
    const [lx, ly] = this.toLocal(px, py);
    v.s = Math.min(64, Math.max(0.05, v.s * Math.pow(2, d)));
    v.cx = lx - (px - this.w / 2) / v.s; v.cy = ly - (py - this.hgt / 2) / v.s;
    this.draw(); this.changed();
  }

  toLocal(px, py) { const v = this.view; return [v.cx + (px - this.w / 2) / v.s, v.cy + (py - this.hgt / 2) / v.s]; }
  toPx(lon, lat) { const [x, y] = this.P(lon, lat), v = this.view; return [(x - v.cx) * v.s + this.w / 2, (y - v.cy) * v.s + this.hgt / 2]; }
  toLonLat(px, py) {
    const [lx, ly] = this.toLocal(px, py);
    return [unx(lx / this.K + this.origin[0]), uny(ly / this.K + this.origin[1])];
  }
  bbox() {
    if (!this.view) return this.layer ? this.layer.bbox : [0, 0, 0, 0];
    const [a, b] = this.toLonLat(0, this.hgt), [c, d] = this.toLonLat(this.w, 0);
    return [a, b, c, d];
  }

  changed() {
    if (!this.opts.onView) return;
    clearTimeout(this.vt); this.vt = setTimeout(() => this.opts.onView(this.bbox()), 150);
  }

  bind() {
    const c = this.canvas;
    let drag = null, moved = false;
    c.addEventListener('pointerdown', e => { drag = [e.clientX, e.clientY]; moved = false; c.setPointerCapture(e.pointerId); });
    c.addEventListener('pointermove', e => {
      if (!drag || !this.view) return;
      const dx = e.clientX - drag[0], dy = e.clientY - drag[1];
      if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
      this.view.cx -= dx / this.view.s; this.view.cy -= dy / this.view.s; drag = [e.clientX, e.clientY];
      this.draw();
    });
    c.addEventListener('pointerup', e => {
      drag = null;
      if (moved) { this.changed(); return; }
      const r = c.getBoundingClientRect();
      this.click(e.clientX - r.left, e.clientY - r.top);
    });
    c.addEventListener('wheel', e => {
      e.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoomBy(e.deltaY < 0 ? 0.5 : -0.5, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    c.addEventListener('keydown', e => {
      if (!this.view) return;
      const step = 60 / this.view.s;
      const k = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
      if (k) { this.view.cx += k[0]; this.view.cy += k[1]; this.draw(); this.changed(); e.preventDefault(); }
      if (e.key === '+' || e.key === '=') this.zoomBy(1);
      if (e.key === '-') this.zoomBy(-1);
    });
  }

  click(px, py) {
    let best = null, bd = 12 * 12;
    for (const p of this.points) {
      const [x, y] = this.toPx(p.lon, p.lat), d = (x - px) ** 2 + (y - py) ** 2;
      if (d < bd) { bd = d; best = p; }
    }
    if (best && this.opts.onPick) { this.sel = best.number; this.draw(); this.opts.onPick(best); return; }
    for (const cl of this.clusters) {
      const [x, y] = this.toPx(cl.lon, cl.lat);
      if ((x - px) ** 2 + (y - py) ** 2 < 18 * 18) {
        if (this.opts.onCluster) this.opts.onCluster(cl); else this.zoomBy(2, x, y);
        return;
      }
    }
    if (this.opts.onPoint) {
      const [lon, lat] = this.toLonLat(px, py);
      this.setMarker(lon, lat); this.opts.onPoint(lon, lat);
    }
  }

  setMarker(lon, lat) { this.marker = lon === undefined ? null : [lon, lat]; this.draw(); }
  // setCircle draws a circle of metres around a point (an alert's area); none without arguments.
  setCircle(lon, lat, metres) { this.circle = lon === undefined ? null : [lon, lat, metres]; this.draw(); }
  setCases(points, clusters = []) { this.points = points || []; this.clusters = clusters || []; this.draw(); }
  select(number) { this.sel = number; this.draw(); }

  draw() {
    if (!this.view || !this.layer || !this.w) return;
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame(() => this.paint());
  }

  paint() {
    const ctx = this.canvas.getContext('2d'), v = this.view, dpr = this.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const dark = this.opts.dark;
    ctx.fillStyle = dark ? '#07101f' : '#eef1f3'; ctx.fillRect(0, 0, this.w, this.hgt);
    if (this.layer.tiles) this.paintTiles(ctx);
    ctx.setTransform(dpr * v.s, 0, 0, dpr * v.s, dpr * (this.w / 2 - v.cx * v.s), dpr * (this.hgt / 2 - v.cy * v.s));
    const alpha = this.layer.tiles ? 0.45 : 1;
    ctx.globalAlpha = alpha;
    const fills = dark ? darkStreets : streetColors;
    this.streetPaths.forEach((p, i) => { ctx.fillStyle = fills[i % fills.length]; ctx.fill(p); });
    ctx.globalAlpha = 1;
    if (v.s > 2.5) { // unit grid edges: every cell is a subpath of its street
      ctx.strokeStyle = 'rgba(80,90,100,.25)'; ctx.lineWidth = 1 / v.s;
      for (const p of this.streetPaths) ctx.stroke(p);
    }
    ctx.strokeStyle = dark ? '#4fd1ff' : '#7d1a1f'; ctx.lineWidth = 2 / v.s; ctx.stroke(this.outline);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.opts.heat) { this.paintHeat(ctx); return; }
    for (const cl of this.clusters) {
      const [x, y] = this.toPx(cl.lon, cl.lat);
      const r = 6 + Math.min(14, Math.log2(cl.count + 1) * 2);
      ctx.fillStyle = 'rgba(180,35,42,.75)'; ctx.beginPath(); ctx.arc(x, y, r, 0, 7); ctx.fill();
      ctx.fillStyle = '#fff'; ctx.font = '11px sans-serif'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle'; ctx.fillText(String(cl.count), x, y);
    }
    for (const p of this.points) {
      const [x, y] = this.toPx(p.lon, p.lat);
      if (x < -5 || y < -5 || x > this.w + 5 || y > this.hgt + 5) continue;
      ctx.fillStyle = stateColors[p.state] || '#444';
      ctx.beginPath(); ctx.arc(x, y, p.number === this.sel ? 7 : 4, 0, 7); ctx.fill();
      if (p.overdue) { ctx.strokeStyle = '#c4161c'; ctx.lineWidth = 2; ctx.beginPath(); ctx.arc(x, y, 6.5, 0, 7); ctx.stroke(); }
    }
    if (this.circle) {
      const [lon, lat, m] = this.circle, [x, y] = this.toPx(lon, lat), [, y2] = this.toPx(lon, lat + m / 111320);
      ctx.fillStyle = 'rgba(125,26,31,.12)'; ctx.strokeStyle = '#7d1a1f'; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(x, y, Math.abs(y - y2), 0, 7); ctx.fill(); ctx.stroke();
    }
    if (this.marker) {
      const [x, y] = this.toPx(this.marker[0], this.marker[1]);
      ctx.fillStyle = '#b4232a'; ctx.beginPath(); ctx.moveTo(x, y); ctx.arc(x, y - 14, 7, Math.PI * 0.8, Math.PI * 2.2); ctx.closePath(); ctx.fill();
      ctx.fillStyle = '#fff'; ctx.beginPath(); ctx.arc(x, y - 14, 3, 0, 7); ctx.fill();
    }
  }

  // paintHeat draws each cluster as a glow whose size and warmth grow
  // with its share of the largest; the largest few carry their count.
  paintHeat(ctx) {
    const max = Math.max(1, ...this.clusters.map(c => c.count));
    const unit = Math.min(this.w, this.hgt) / 22;
    ctx.globalCompositeOperation = 'lighter';
    for (const cl of this.clusters) {
      const [x, y] = this.toPx(cl.lon, cl.lat), f = Math.sqrt(cl.count / max), r = unit * (0.6 + 1.6 * f);
      const g = ctx.createRadialGradient(x, y, 0, x, y, r);
      const hot = f > 0.66 ? '255,70,60' : f > 0.33 ? '255,160,40' : '80,200,255';
      g.addColorStop(0, `rgba(${hot},${0.35 + 0.5 * f})`); g.addColorStop(1, `rgba(${hot},0)`);
      ctx.fillStyle = g; ctx.beginPath(); ctx.arc(x, y, r, 0, 7); ctx.fill();
    }
    ctx.globalCompositeOperation = 'source-over';
    const top = [...this.clusters].sort((a, b) => b.count - a.count).slice(0, 8);
    ctx.font = `600 ${Math.round(unit * 0.45)}px sans-serif`; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    for (const cl of top) {
      const [x, y] = this.toPx(cl.lon, cl.lat);
      ctx.lineWidth = 3; ctx.strokeStyle = 'rgba(0,0,0,.7)'; ctx.strokeText(String(cl.count), x, y);
      ctx.fillStyle = '#fff'; ctx.fillText(String(cl.count), x, y);
    }
  }

  paintTiles(ctx) {
    const v = this.view;
    const worldPx = v.s * this.K * TILE / 256; // pixels per world unit
    const z = Math.max(0, Math.min(18, Math.round(Math.log2(worldPx / TILE))));
    const n = 1 << z, tpx = worldPx / n;
    const [x0, y0] = this.toLocal(0, 0), [x1, y1] = this.toLocal(this.w, this.hgt);
    const wx0 = x0 / this.K + this.origin[0], wy0 = y0 / this.K + this.origin[1], wx1 = x1 / this.K + this.origin[0], wy1 = y1 / this.K + this.origin[1];
    this.tiles ||= new Map();
    for (let ty = Math.floor(wy0 * n); ty <= Math.floor(wy1 * n); ty++) for (let tx = Math.floor(wx0 * n); tx <= Math.floor(wx1 * n); tx++) {
      const url = this.layer.tiles.replace('{z}', z).replace('{x}', tx).replace('{y}', ty);
      let img = this.tiles.get(url);
      if (!img) { img = new Image(); img.onload = () => this.draw(); img.src = url; this.tiles.set(url, img); }
      if (img.complete && img.naturalWidth) {
        const [px, py] = [(tx / n - this.origin[0]) * this.K, (ty / n - this.origin[1]) * this.K];
        ctx.drawImage(img, (px - v.cx) * v.s + this.w / 2, (py - v.cy) * v.s + this.hgt / 2, tpx + 0.5, tpx + 0.5);
      }
    }
  }
}
