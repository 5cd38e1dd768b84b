// The image viewer (issue 13): study browser, mammography hanging, current vs
// prior, one view; 16-bit frames drawn on canvas with the Modality LUT and the
// VOI (PS3.3 C.11.2.1.2) applied here. Our own code, no library; no data in
// the page's scripts: the JSON comes from data-api (VIEWER-CONTRACT.md).
//
// Geometry is always in full-resolution image pixels (columns × rows of the
// file); a preview is drawn stretched to that size, so measurements and the
// shared zoom/pan do not change when full resolution replaces it.
(function () {
  'use strict';
  var root = document.getElementById('viewer');
  if (!root) return;
  var api = root.getAttribute('data-api');
  var base = api.replace(/\/images$/, '');
  var statusEl = document.getElementById('viewer-status');
  var hangingEl = document.getElementById('hanging');
  var switcherEl = document.getElementById('view-switcher');
  var studyList = document.getElementById('study-list');
  var presetSel = document.getElementById('preset');
  var measureOut = document.getElementById('measure-result');
  var toolbar = document.getElementById('viewer-toolbar');
  var dpr = window.devicePixelRatio || 1;
  var phone = window.matchMedia('(max-width: 599px)');

  var STANDARD = ['RCC', 'LCC', 'RMLO', 'LMLO'];
  var LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  var VIEW_WORDS = { CC: 'craniocaudal', MLO: 'mediolateral oblique', ML: 'mediolateral', LM: 'lateromedial',
    LMO: 'lateromedial oblique', FB: 'caudocranial (from below)', SIO: 'superolateral to inferomedial oblique',
    ISO: 'inferomedial to superolateral oblique', XCCL: 'exaggerated craniocaudal, lateral',
    XCCM: 'exaggerated craniocaudal, medial', SPOT: 'spot compression', MAG: 'magnification' };
  var SIDE_WORDS = { R: 'right breast', L: 'left breast', B: 'both breasts' };

  // ---- state ----
  var studies = [];          // from the JSON, newest first
  var images = [];           // every image: {img, study, key}
  var state = {
    layout: 'hanging', prevLayout: 'hanging', tool: 'window', invert: false, overlay: true,
    zoom: 1, panX: 0, panY: 0, // shared by every viewport (pan mirrored on the left breast's side)
    selected: null,            // key of the image shown alone / compared
  };
  var viewports = [];        // the viewports on screen
  var active = null;         // the viewport keys and presets act on
  var sources = new Map();   // key -> {preview, frames: Map(n -> source), loading}
  var cacheBytes = 0;
  var CACHE_LIMIT = 512 * 1024 * 1024;
  var lru = [];              // [key, n] of cached full frames, oldest first

  function say(text) { statusEl.textContent = text; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function keyOf(img) { return String(img.document); }
  function labelOf(im) {
    var i = im.img;
    var l = i.label || ((i.laterality || '') + (i.view || '')) || i.name || ('Image ' + i.document);
    return i.frames > 1 ? l + ' (' + i.frames + ' frames)' : l;
  }
  function longLabel(im) {
    var i = im.img, parts = [];
    if (i.laterality && SIDE_WORDS[i.laterality]) parts.push(SIDE_WORDS[i.laterality]);
    if (i.view) parts.push(VIEW_WORDS[i.view] || i.view);
    var what = (i.label ? i.label + ' (' + parts.join(', ') + ')' : (parts.join(', ') || i.name || 'image'));
    return what + ', ' + (im.study.current ? 'current' : 'prior') + ' study of ' + (im.study.date || 'unknown date');
  }

  // ---- orientation: chest wall toward the middle (PS3.3 C.7.6.1.1.1) ----
  // Returns {flipH, flipV, side}: side is where the chest wall is drawn
  // ('right' for a right breast, 'left' for a left one, '' when unknown).
  function orientation(i, previewGray) {
    var lat = i.laterality, side = lat === 'R' ? 'right' : lat === 'L' ? 'left' : '';
    var o = { flipH: false, flipV: false, side: side, from: 'none' };
    if (!side) return o;
    var po = Array.isArray(i.orientation) && i.orientation.length === 2 ? i.orientation : null;
    if (po) {
      var row = String(po[0] || '').toUpperCase(), col = String(po[1] || '').toUpperCase();
      // along a row (left to right): toward the chest wall is posterior
      if (side === 'right' && row.indexOf('A') >= 0) o.flipH = true;
      if (side === 'left' && row.indexOf('P') >= 0) o.flipH = true;
      if (i.view === 'CC' || i.view === 'XCCL' || i.view === 'XCCM') {
        // CC: the lateral side up, so going down goes toward the other side
        var down = side === 'right' ? 'L' : 'R', up = side === 'right' ? 'R' : 'L';
        if (col.indexOf(up) >= 0 && col.indexOf(down) < 0) o.flipV = true;
      } else if (col.indexOf('H') >= 0) {
        o.flipV = true; // MLO, ML, LM: head up
      }
      o.from = 'Patient Orientation';
      return o;
    }
    if (previewGray) {
      // no Patient Orientation: the chest wall is the side with more tissue
      var w = previewGray.w, h = previewGray.h, d = previewGray.data, left = 0, right = 0, band = Math.max(1, w >> 3);
      for (var y = 0; y < h; y += 2) {
        for (var x = 0; x < band; x++) { left += d[y * w + x]; right += d[y * w + w - 1 - x]; }
      }
      o.flipH = side === 'right' ? left > right : right > left;
      o.from = 'the image';
    }
    return o;
  }

  // ---- VOI and Modality LUT: static/js/viewer_lut.js ----
  var buildLut = SecondopLut.buildLut;
  function defaultWindow(src, im) {
    var ws = im && !src.preview ? im.windows || [] : [];
    if (ws.length) {
      var w0 = { center: +ws[0].center, width: +ws[0].width, fn: voiFn(im), name: ws[0].explanation || 'window 1' };
      if (SecondopLut.validWindow(w0)) return w0;
    }
    var ts = im && !src.preview ? im.voi_luts || [] : [];
    if (ts.length) return tableWin(ts[0], 0);
    return fullRange(src, im);
  }
  // A VOI LUT of the file as the viewport's window; center and width are the
  // inputs the table spans (shown, and where a drag starts from).
  function tableWin(t, k) {
    var w = SecondopLut.tableWindow(t);
    return { lut: t, center: w.center, width: w.width, fn: 'LINEAR', name: t.explanation || 'lookup table ' + (k + 1) };
  }
  function fullRange(src, im) {
    var lo = Infinity, hi = -Infinity;
    if (src.modality) {
      for (var s = src.min; s <= src.max; s++) { var v = SecondopLut.modality(src, s); if (v < lo) lo = v; if (v > hi) hi = v; }
    } else {
      var a = src.min * src.slope + src.intercept, b = src.max * src.slope + src.intercept;
      lo = Math.min(a, b); hi = Math.max(a, b);
    }
    return { center: (lo + hi + 1) / 2, width: Math.max(1, hi - lo + 1), fn: src.preview ? 'LINEAR' : voiFn(im) === 'SIGMOID' ? 'LINEAR' : voiFn(im), name: 'full range' };
  }
  function voiFn(im) {
    var f = im && im.voi_function;
    return f === 'SIGMOID' || f === 'LINEAR_EXACT' ? f : 'LINEAR';
  }

  // ---- loading ----
  function delay(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  // GET with the contract's 202 (preparing, Retry-After) and 422 (a sentence).
  function getPrepared(url, onProgress, expected) {
    var tries = 0;
    function attempt() {
      return fetch(url, { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
        if (res.status === 202 && tries++ < 120) {
          var ra = parseInt(res.headers.get('Retry-After') || '1', 10);
          return delay(Math.min(10, Math.max(1, ra || 1)) * 1000).then(attempt);
        }
        if (!res.ok) {
          return res.json().catch(function () { return {}; }).then(function (j) {
            var e = new Error(j && j.error ? j.error : 'This image could not be loaded (the server answered ' + res.status + ').');
            e.sentence = true;
            throw e;
          });
        }
        if (!onProgress || !res.body || !res.body.getReader) return res.arrayBuffer().then(function (b) { return { res: res, buf: b }; });
        var total = parseInt(res.headers.get('Content-Length') || '0', 10) || expected || 0;
        var reader = res.body.getReader(), chunks = [], got = 0;
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) {
              var out = new Uint8Array(got), off = 0;
              chunks.forEach(function (c) { out.set(c, off); off += c.length; });
              return { res: res, buf: out.buffer };
            }
            chunks.push(r.value);
            got += r.value.length;
            onProgress(got, total);
            return pump();
          });
        }
        return pump();
      });
    }
    return attempt();
  }

  function loadPreview(im) {
    var s = entry(im);
    if (s.previewP) return s.previewP;
    var i = im.img;
    if (i.state === 'not_decodable') {
      s.previewP = Promise.reject(Object.assign(new Error(i.why || 'This image cannot be shown.'), { sentence: true }));
    } else {
      s.previewP = getPrepared(base + '/documents/' + i.document + '/preview').then(function (r) {
        return createImageBitmap(new Blob([r.buf], { type: 'image/png' }));
      }).then(function (bmp) {
        var c = document.createElement('canvas');
        c.width = bmp.width; c.height = bmp.height;
        var cx = c.getContext('2d', { willReadFrequently: true });
        cx.drawImage(bmp, 0, 0);
        var rgba = cx.getImageData(0, 0, c.width, c.height).data, n = c.width * c.height;
        var gray = true;
        for (var p = 0; p < n * 4 && gray; p += 4 * 97) if (rgba[p] !== rgba[p + 1] || rgba[p] !== rgba[p + 2]) gray = false;
        var src = { preview: true, w: c.width, h: c.height, samples: gray ? 1 : 3, slope: 1, intercept: 0, min: 0, max: 255, mono1: false };
        if (gray) {
          var d = new Uint8Array(n);
          for (var q = 0; q < n; q++) d[q] = rgba[q * 4];
          src.data = d;
        } else {
          src.data = new Uint8Array(rgba.buffer.slice(0));
          src.samples = 4;
        }
        s.preview = src;
        s.blobThumb = c;
        return src;
      });
    }
    s.previewP.catch(function () {});
    return s.previewP;
  }

  function loadFrame(im, n, onProgress) {
    var s = entry(im);
    if (s.frames.has(n)) { touch(keyOf(im.img), n); return Promise.resolve(s.frames.get(n)); }
    if (s.frameP.has(n)) return s.frameP.get(n);
    var i = im.img;
    if (i.state === 'not_decodable') return Promise.reject(Object.assign(new Error(i.why || 'This image cannot be shown.'), { sentence: true }));
    var bytes = (i.bits_allocated || i.bits_stored) > 8 ? 2 : 1;
    var expected = i.rows * i.columns * (i.samples || 1) * bytes;
    var p = getPrepared(base + '/documents/' + i.document + '/frames/' + n, onProgress, expected).then(function (r) {
      var h = r.res.headers, rows = +h.get('X-Rows') || i.rows, cols = +h.get('X-Columns') || i.columns;
      var spp = +h.get('X-Samples') || i.samples || 1, bps = +h.get('X-Bytes-Per-Sample') || bytes;
      if (r.buf.byteLength < rows * cols * spp * bps) throw Object.assign(new Error('The image data arrived incomplete.'), { sentence: true });
      var data;
      if (bps === 2) {
        var cnt = rows * cols * spp;
        if (LITTLE_ENDIAN) {
          // the frame is little-endian like this machine: a view, no copy
          data = i.signed ? new Int16Array(r.buf, 0, cnt) : new Uint16Array(r.buf, 0, cnt);
        } else {
          var dv = new DataView(r.buf);
          data = i.signed ? new Int16Array(cnt) : new Uint16Array(cnt);
          for (var k = 0; k < cnt; k++) data[k] = i.signed ? dv.getInt16(k * 2, true) : dv.getUint16(k * 2, true);
        }
      } else {
        data = i.signed ? new Int8Array(r.buf, 0, rows * cols * spp) : new Uint8Array(r.buf, 0, rows * cols * spp);
      }
      var min = Infinity, max = -Infinity;
      if (spp === 1) for (var m = 0; m < data.length; m++) { var v = data[m]; if (v < min) min = v; if (v > max) max = v; }
      else { min = 0; max = bps === 2 ? 65535 : 255; }
      if (!isFinite(min)) { min = 0; max = 0; }
      var rs = Array.isArray(i.rescale) ? i.rescale : [1, 0];
      var ml = spp === 1 && i.modality_lut && Array.isArray(i.modality_lut.table) && i.modality_lut.table.length ? i.modality_lut : null;
      var src = { preview: false, w: cols, h: rows, samples: spp, bps: bps, data: data, min: min, max: max,
        slope: +rs[0] || 1, intercept: +rs[1] || 0, modality: ml, mono1: i.photometric === 'MONOCHROME1' };
      s.frames.set(n, src);
      s.frameP.delete(n);
      cacheBytes += data.byteLength;
      lru.push([keyOf(i), n]);
      evict();
      return src;
    });
    p.catch(function () { s.frameP.delete(n); });
    s.frameP.set(n, p);
    return p;
  }
  function touch(key, n) {
    for (var k = 0; k < lru.length; k++) if (lru[k][0] === key && lru[k][1] === n) { lru.push(lru.splice(k, 1)[0]); return; }
  }
  function evict() {
    while (cacheBytes > CACHE_LIMIT && lru.length > 1) {
      var old = lru.shift(), s = sources.get(old[0]);
      var onScreen = viewports.some(function (v) { return v.im && keyOf(v.im.img) === old[0] && v.frame === old[1]; });
      if (onScreen) { lru.push(old); if (lru.every(function (x) { return x === old; })) break; continue; }
      var src = s && s.frames.get(old[1]);
      if (src) { cacheBytes -= src.data.byteLength; s.frames.delete(old[1]); }
    }
  }
  function entry(im) {
    var k = keyOf(im.img);
    if (!sources.has(k)) sources.set(k, { frames: new Map(), frameP: new Map() });
    return sources.get(k);
  }

  // ---- viewports ----
  function makeViewport(im, slotLabel, role) {
    var fig = el('figure', 'viewport');
    var vp = { fig: fig, im: im, frame: 0, src: null, win: null, rendered: null, dirty: true, pointers: new Map(),
      measure: null, loupe: null, orient: im ? orientation(im.img, null) : { flipH: false, flipV: false, side: '', from: 'none' },
      role: role || '' };
    fig.setAttribute('data-label', im ? labelOf(im) : slotLabel);
    fig.setAttribute('data-state', im ? 'loading' : 'empty');
    var box = el('div', 'vp-canvas');
    box.tabIndex = 0;
    box.setAttribute('role', 'img');
    box.setAttribute('aria-label', im ? longLabel(im) : 'No ' + slotLabel + ' view in the current study');
    var canvas = el('canvas');
    canvas.setAttribute('aria-hidden', 'true');
    box.appendChild(canvas);
    var overlay = el('div', 'vp-overlay');
    overlay.setAttribute('aria-hidden', 'true');
    var tl = el('div', 'vp-text vp-top'), bl = el('div', 'vp-text vp-bottom');
    overlay.appendChild(tl); overlay.appendChild(bl);
    box.appendChild(overlay);
    var prog = el('progress', 'vp-progress');
    prog.max = 100; prog.value = 0; prog.hidden = true;
    prog.setAttribute('aria-label', 'Full resolution loading');
    fig.appendChild(box);
    fig.appendChild(prog);
    var msg = el('p', 'vp-message');
    msg.hidden = true;
    fig.appendChild(msg);
    vp.box = box; vp.canvas = canvas; vp.ctx = canvas.getContext('2d'); vp.tl = tl; vp.bl = bl; vp.msg = msg; vp.prog = prog;
    if (!im) { msg.hidden = false; msg.textContent = 'No ' + slotLabel + ' view in the current study.'; }
    if (im && im.img.frames > 1) {
      var fr = el('div', 'vp-frames');
      var id = 'frame-' + keyOf(im.img) + '-' + viewports.length;
      var lab = el('label', null, 'Frame ');
      lab.htmlFor = id;
      var out = el('output', 'vp-frame-no', '1');
      lab.appendChild(out);
      lab.appendChild(document.createTextNode(' of ' + im.img.frames));
      var range = el('input');
      range.type = 'range'; range.id = id; range.min = 1; range.max = im.img.frames; range.value = 1;
      range.addEventListener('input', function () { setFrame(vp, +range.value - 1); });
      fr.appendChild(lab); fr.appendChild(range);
      fig.appendChild(fr);
      vp.range = range; vp.frameOut = out;
    }
    var cap = el('figcaption', 'vp-caption', im ? labelOf(im) + (im.study.current ? '' : ' — prior ' + (im.study.date || '')) : slotLabel);
    fig.appendChild(cap);
    wirePointer(vp);
    box.addEventListener('focus', function () { setActive(vp); });
    return vp;
  }

  function setActive(vp) {
    active = vp;
    viewports.forEach(function (v) { v.fig.classList.toggle('active', v === vp); });
    fillPresets();
  }

  function startLoading(vp) {
    if (!vp.im) return;
    var im = vp.im;
    loadPreview(im).then(function (p) {
      if (vp.orient.from === 'none') {
        // no Patient Orientation: read the chest wall's side from the preview
        vp.orient = orientation(im.img, p.samples === 1 ? p : null);
        applyOrientAttrs(vp);
        draw(vp);
      }
      if (!vp.src || vp.src.preview) { setSource(vp, p); progressSummary(); }
    }).catch(function (e) { if (!vp.src) showError(vp, e); });
    vp.prog.hidden = false;
    vp.fig.setAttribute('data-state', 'loading');
    loadFrame(im, vp.frame, function (got, total) { if (total) vp.prog.value = Math.min(100, 100 * got / total); })
      .then(function (src) {
        vp.prog.hidden = true;
        setSource(vp, src);
        vp.fig.setAttribute('data-state', 'full');
        progressSummary();
      }).catch(function (e) {
        vp.prog.hidden = true;
        if (e && e.sentence) showError(vp, e);
        else showError(vp, new Error('This image could not be loaded. Try again later, or download the file.'));
        progressSummary();
      });
  }
  function applyOrientAttrs(vp) {
    vp.fig.setAttribute('data-flip-h', vp.orient.flipH ? '1' : '0');
    vp.fig.setAttribute('data-flip-v', vp.orient.flipV ? '1' : '0');
    vp.fig.setAttribute('data-chest-wall', vp.orient.side || 'unknown');
  }
  function showError(vp, e) {
    vp.msg.hidden = false;
    vp.msg.textContent = '';
    vp.msg.appendChild(el('span', 'vp-why', e.message));
    if (vp.im) {
      // the original file is still there: download it, or send it to a PACS
      var a = el('a', null, 'Download the original file');
      a.href = base.replace('/api/v1', '') + '/documents/' + vp.im.img.document + '/download';
      vp.msg.appendChild(document.createTextNode(' '));
      vp.msg.appendChild(a);
    }
    vp.fig.setAttribute('data-state', 'error');
    vp.fig.classList.add('failed');
    vp.box.setAttribute('aria-label', (vp.im ? longLabel(vp.im) + ': ' : '') + e.message);
    draw(vp);
  }
  function setSource(vp, src) {
    var keepWindow = vp.src && !vp.src.preview && !src.preview && vp.win;
    vp.src = src;
    if (!src.preview) vp.fig.setAttribute('data-shown-frame', String(vp.frame + 1));
    if (!keepWindow) vp.win = defaultWindow(src, vp.im.img);
    vp.dirty = true;
    if (vp === active) fillPresets();
    draw(vp);
    // what the canvas now shows, for the benchmark (bench/viewer.mjs) and the tests
    vp.fig.setAttribute('data-drawn', src.preview ? 'preview' : 'full');
  }
  function setFrame(vp, n) {
    if (!vp.im || vp.im.img.frames <= 1) return;
    n = Math.max(0, Math.min(vp.im.img.frames - 1, n));
    if (n === vp.frame) return;
    vp.frame = n;
    if (vp.range) { vp.range.value = n + 1; vp.frameOut.textContent = String(n + 1); }
    vp.fig.setAttribute('data-frame', String(n + 1));
    var want = n;
    loadFrame(vp.im, n, function (got, total) { vp.prog.hidden = false; if (total) vp.prog.value = 100 * got / total; }).then(function (src) {
      vp.prog.hidden = true;
      if (vp.frame === want) setSource(vp, src);
    }).catch(function (e) { vp.prog.hidden = true; showError(vp, e); });
    updateText(vp);
    // read ahead one frame each way
    if (n + 1 < vp.im.img.frames) loadFrame(vp.im, n + 1).catch(function () {});
    if (n > 0) loadFrame(vp.im, n - 1).catch(function () {});
  }
  function progressSummary() {
    var withIm = viewports.filter(function (v) { return v.im; });
    var full = withIm.filter(function (v) { return v.fig.getAttribute('data-state') === 'full'; }).length;
    var bad = withIm.filter(function (v) { return v.fig.getAttribute('data-state') === 'error'; }).length;
    if (full + bad === withIm.length) {
      say(full === withIm.length ? 'All images shown at full resolution.'
        : withIm.length === 1 ? 'This image could not be shown; the reason is written in it.'
        : bad + ' of ' + withIm.length + ' images could not be shown; the reason is written in each.');
    } else {
      var shown = withIm.filter(function (v) { return v.src; }).length;
      say((shown ? 'Previews shown' : 'Loading the previews') + '; full resolution loading (' + full + ' of ' + withIm.length + ' done).');
    }
  }

  // ---- drawing ----
  function renderSource(vp) {
    var src = vp.src, w = src.w, h = src.h;
    if (!vp.rendered || vp.rendered.width !== w || vp.rendered.height !== h) {
      vp.rendered = document.createElement('canvas');
      vp.rendered.width = w; vp.rendered.height = h;
    }
    var cx = vp.rendered.getContext('2d');
    var out = cx.createImageData(w, h), o = out.data, d = src.data, n = w * h;
    if (src.samples === 1) {
      var lut = buildLut(src, vp.win, src.mono1, state.invert), min = src.min;
      for (var k = 0, p = 0; k < n; k++, p += 4) {
        var y = lut[d[k] - min];
        o[p] = o[p + 1] = o[p + 2] = y; o[p + 3] = 255;
      }
    } else {
      var shift = src.bps === 2 ? 8 : 0, spp = src.samples;
      for (var k2 = 0, p2 = 0; k2 < n; k2++, p2 += 4) {
        for (var c = 0; c < 3; c++) {
          var v = d[k2 * spp + c] >> shift;
          o[p2 + c] = state.invert ? 255 - v : v;
        }
        o[p2 + 3] = 255;
      }
    }
    cx.putImageData(out, 0, 0);
    vp.dirty = false;
  }
  // The transform: image pixel (full resolution) -> device pixel of the canvas.
  function geometry(vp) {
    var W = vp.canvas.width, H = vp.canvas.height, i = vp.im.img;
    var cols = i.columns || (vp.src && vp.src.w) || 1, rows = i.rows || (vp.src && vp.src.h) || 1;
    var fit = Math.min(W / cols, H / rows);
    var s = fit * state.zoom, dw = cols * s, dh = rows * s;
    // anchored at the chest wall: a right breast's on the right edge, a left
    // breast's on the left edge, so that back to back they meet in the middle
    var side = vp.orient.side, x0;
    var px = state.panX * dpr, py = state.panY * dpr;
    if (side === 'left') x0 = -px;
    else if (side === 'right') x0 = W - dw + px;
    else x0 = (W - dw) / 2 + px;
    var y0 = (H - dh) / 2 + py;
    return { s: s, x0: x0, y0: y0, dw: dw, dh: dh, cols: cols, rows: rows, fit: fit, W: W, H: H };
  }
  function toImage(vp, cx, cy) {
    var g = geometry(vp), x = (cx * dpr - g.x0) / g.s, y = (cy * dpr - g.y0) / g.s;
    if (vp.orient.flipH) x = g.cols - x;
    if (vp.orient.flipV) y = g.rows - y;
    return { x: x, y: y };
  }
  function toScreen(vp, ix, iy) {
    var g = geometry(vp);
    if (vp.orient.flipH) ix = g.cols - ix;
    if (vp.orient.flipV) iy = g.rows - iy;
    return { x: g.x0 + ix * g.s, y: g.y0 + iy * g.s };
  }
  function draw(vp) {
    var c = vp.canvas, r = vp.box.getBoundingClientRect();
    var W = Math.max(1, Math.round(r.width * dpr)), H = Math.max(1, Math.round(r.height * dpr));
    if (c.width !== W || c.height !== H) { c.width = W; c.height = H; }
    var ctx = vp.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, W, H);
    if (!vp.im || !vp.src) { updateText(vp); return; }
    if (vp.dirty) renderSource(vp);
    var g = geometry(vp);
    ctx.imageSmoothingEnabled = g.s * (g.cols / vp.src.w) < 1 || vp.src.preview;
    ctx.save();
    ctx.translate(g.x0 + (vp.orient.flipH ? g.dw : 0), g.y0 + (vp.orient.flipV ? g.dh : 0));
    ctx.scale(vp.orient.flipH ? -g.s : g.s, vp.orient.flipV ? -g.s : g.s);
    ctx.drawImage(vp.rendered, 0, 0, vp.src.w, vp.src.h, 0, 0, g.cols, g.rows);
    ctx.restore();
    if (vp.measure) drawMeasure(vp);
    if (vp.loupe) drawLoupe(vp);
    if (vp.kcursor && state.tool === 'measure') drawCursor(vp);
    updateText(vp);
  }
  function drawAll() { viewports.forEach(draw); }
  var rafPending = false;
  function redrawSoon() {
    if (rafPending) return;
    rafPending = true;
    requestAnimationFrame(function () { rafPending = false; drawAll(); });
  }
  function drawMeasure(vp) {
    var m = vp.measure, a = toScreen(vp, m.a.x, m.a.y), b = toScreen(vp, m.b.x, m.b.y), ctx = vp.ctx;
    ctx.save();
    ctx.strokeStyle = '#ffd400'; ctx.fillStyle = '#ffd400'; ctx.lineWidth = 2 * dpr;
    ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
    ctx.font = (14 * dpr) + 'px sans-serif';
    ctx.fillText(m.text, (a.x + b.x) / 2 + 6 * dpr, (a.y + b.y) / 2 - 6 * dpr);
    ctx.restore();
  }
  // The keyboard's measuring point: a cross the arrows move.
  function drawCursor(vp) {
    var ctx = vp.ctx, x = vp.kcursor.x * dpr, y = vp.kcursor.y * dpr, r = 8 * dpr;
    ctx.save(); ctx.strokeStyle = '#ffd166'; ctx.lineWidth = 2 * dpr;
    ctx.beginPath(); ctx.moveTo(x - r, y); ctx.lineTo(x + r, y); ctx.moveTo(x, y - r); ctx.lineTo(x, y + r); ctx.stroke();
    ctx.restore();
  }
  // Measuring by keyboard: Enter (or Space) sets the first point at the cross,
  // the arrows move it (the line follows), Enter again sets the second point.
  function keyMeasure(vp, k) {
    if (!vp || !vp.src) return false;
    var r = vp.box.getBoundingClientRect();
    if (!vp.kcursor) vp.kcursor = { x: r.width / 2, y: r.height / 2 };
    var c = vp.kcursor;
    if (/^Arrow/.test(k)) {
      var step = 10;
      c.x = Math.max(0, Math.min(r.width, c.x + (k === 'ArrowLeft' ? -step : k === 'ArrowRight' ? step : 0)));
      c.y = Math.max(0, Math.min(r.height, c.y + (k === 'ArrowUp' ? -step : k === 'ArrowDown' ? step : 0)));
      if (vp.measure && !vp.measure.done) {
        vp.measure.b = toImage(vp, c.x, c.y);
        vp.measure.text = measureText(vp, vp.measure);
      }
    } else if (k === 'Enter' || k === ' ') {
      var p = toImage(vp, c.x, c.y);
      if (!vp.measure || vp.measure.done) {
        vp.measure = { a: p, b: p, text: measureText(vp, { a: p, b: p }) };
        measureOut.textContent = labelOf(vp.im) + ': first point set; move with the arrows, Enter sets the second.';
      } else {
        vp.measure.b = p;
        vp.measure.text = measureText(vp, vp.measure);
        vp.measure.done = true;
        measureOut.textContent = labelOf(vp.im) + ': ' + vp.measure.text;
        vp.fig.setAttribute('data-measure', vp.measure.text);
      }
    } else if (k === 'Escape' && vp.measure && !vp.measure.done) {
      vp.measure = null;
      measureOut.textContent = '';
    } else return false;
    draw(vp);
    return true;
  }
  function drawLoupe(vp) {
    var L = vp.loupe, R = 80 * dpr, ctx = vp.ctx;
    var cx = L.x * dpr, cy = L.y * dpr;
    ctx.save();
    ctx.beginPath(); ctx.arc(cx, cy, R, 0, Math.PI * 2); ctx.clip();
    // the canvas under the loupe, twice as large
    ctx.drawImage(vp.canvas, cx - R / 2, cy - R / 2, R, R, cx - R, cy - R, 2 * R, 2 * R);
    ctx.restore();
    ctx.save(); ctx.strokeStyle = '#7fc8ff'; ctx.lineWidth = 2 * dpr;
    ctx.beginPath(); ctx.arc(cx, cy, R, 0, Math.PI * 2); ctx.stroke(); ctx.restore();
  }
  function updateText(vp) {
    if (!vp.im) return;
    var i = vp.im.img, st = vp.im.study;
    vp.tl.textContent = labelOf(vp.im) + '  ' + (st.current ? 'Current' : 'Prior') + '  ' + (st.date || '');
    var parts = [];
    if (i.frames > 1) parts.push('Frame ' + (vp.frame + 1) + '/' + i.frames);
    if (vp.win && vp.win.lut) parts.push('Lookup table ' + vp.win.name);
    else if (vp.win) parts.push('W ' + Math.round(vp.win.width) + ' L ' + Math.round(vp.win.center) + (vp.src && vp.src.preview ? ' (preview)' : ''));
    if (vp.src && vp.canvas.width) {
      var g = geometry(vp);
      parts.push('Zoom ' + Math.round(g.s * 100) + '%');
    }
    vp.bl.textContent = parts.join('  ');
    vp.fig.classList.toggle('no-text', !state.overlay);
    vp.fig.classList.toggle('side-left', vp.orient.side === 'left');
  }

  // ---- window ----
  function changeWindow(vp, dCenter, dWidth) {
    if (!vp || !vp.win || !vp.src) return;
    vp.win = { center: vp.win.center + dCenter, width: Math.max(1, vp.win.width + dWidth), fn: vp.win.fn, name: 'custom' };
    vp.dirty = true;
    presetSel.value = '';
    redrawSoon();
  }
  function windowStep(vp) {
    if (!vp || !vp.src) return 1;
    var range = (vp.src.max - vp.src.min) * Math.abs(vp.src.slope) || 255;
    return Math.max(range / 512, vp.src.preview ? 0.5 : 1);
  }
  function fillPresets() {
    while (presetSel.options.length) presetSel.remove(0);
    var o = new Option('Choose a window', '');
    presetSel.add(o);
    if (!active || !active.im) return;
    var ws = active.src && !active.src.preview ? active.im.img.windows || [] : [];
    ws.forEach(function (w, k) {
      presetSel.add(new Option((w.explanation || 'Window ' + (k + 1)) + ' (level ' + w.center + ', width ' + w.width + ')', String(k)));
    });
    var ts = active.src && !active.src.preview ? active.im.img.voi_luts || [] : [];
    ts.forEach(function (t, k) {
      presetSel.add(new Option((t.explanation || 'Lookup table ' + (k + 1)) + ' (lookup table in the file)', 'lut' + k));
    });
    presetSel.add(new Option('Full range of the image', 'full'));
  }
  function applyPreset(vp, v) {
    if (!vp || !vp.src) return;
    if (v === 'full') vp.win = fullRange(vp.src, vp.im.img);
    else if (v.indexOf('lut') === 0) {
      var t = (vp.im.img.voi_luts || [])[+v.slice(3)];
      if (!t || vp.src.preview) return;
      vp.win = tableWin(t, +v.slice(3));
    } else {
      var w = (vp.im.img.windows || [])[+v];
      if (!w || vp.src.preview) return;
      var pw = { center: +w.center, width: +w.width, fn: voiFn(vp.im.img), name: w.explanation };
      vp.win = SecondopLut.validWindow(pw) ? pw : fullRange(vp.src, vp.im.img);
    }
    vp.dirty = true;
    draw(vp);
  }
  presetSel.addEventListener('change', function () { if (presetSel.value !== '') applyPreset(active, presetSel.value); });
  function nextPreset() {
    if (!active) return;
    var n = presetSel.options.length;
    if (n <= 1) return;
    var k = presetSel.selectedIndex + 1;
    if (k >= n) k = 1;
    presetSel.selectedIndex = k;
    applyPreset(active, presetSel.value);
  }

  // ---- pointer: drag, pinch, measure, magnifier ----
  function wirePointer(vp) {
    var box = vp.box, last = null, pinch = null;
    box.addEventListener('pointerdown', function (e) {
      if (!vp.im) return;
      box.focus();
      box.setPointerCapture(e.pointerId);
      vp.pointers.set(e.pointerId, { x: e.offsetX, y: e.offsetY });
      if (vp.pointers.size === 2) {
        var p = Array.from(vp.pointers.values());
        pinch = { d: Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y), zoom: state.zoom, mx: (p[0].x + p[1].x) / 2, my: (p[0].y + p[1].y) / 2 };
        vp.measure = vp.measure && vp.measure.done ? vp.measure : null;
        vp.loupe = null;
        return;
      }
      last = { x: e.offsetX, y: e.offsetY };
      if (state.tool === 'measure' && vp.src) {
        var a = toImage(vp, e.offsetX, e.offsetY);
        vp.measure = { a: a, b: a, text: '' };
      } else if (state.tool === 'magnify') {
        vp.loupe = { x: e.offsetX, y: e.offsetY };
        draw(vp);
      }
      e.preventDefault();
    });
    box.addEventListener('pointermove', function (e) {
      if (!vp.pointers.has(e.pointerId)) return;
      vp.pointers.set(e.pointerId, { x: e.offsetX, y: e.offsetY });
      if (vp.pointers.size >= 2 && pinch) {
        var p = Array.from(vp.pointers.values());
        var d = Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y);
        var mx = (p[0].x + p[1].x) / 2, my = (p[0].y + p[1].y) / 2;
        state.zoom = clampZoom(pinch.zoom * d / Math.max(1, pinch.d));
        panBy(vp, mx - pinch.mx, my - pinch.my);
        pinch.mx = mx; pinch.my = my;
        redrawSoon();
        return;
      }
      if (!last) return;
      var dx = e.offsetX - last.x, dy = e.offsetY - last.y;
      last = { x: e.offsetX, y: e.offsetY };
      if (state.tool === 'window') changeWindow(vp, dy * windowStep(vp), dx * windowStep(vp));
      else if (state.tool === 'pan') { panBy(vp, dx, dy); redrawSoon(); }
      else if (state.tool === 'measure' && vp.measure) {
        vp.measure.b = toImage(vp, e.offsetX, e.offsetY);
        vp.measure.text = measureText(vp, vp.measure);
        redrawSoon();
      } else if (state.tool === 'magnify') { vp.loupe = { x: e.offsetX, y: e.offsetY }; redrawSoon(); }
    });
    function up(e) {
      if (!vp.pointers.has(e.pointerId)) return;
      vp.pointers.delete(e.pointerId);
      if (vp.pointers.size < 2) pinch = null;
      if (vp.pointers.size === 0) {
        last = null;
        if (state.tool === 'measure' && vp.measure) {
          vp.measure.done = true;
          measureOut.textContent = labelOf(vp.im) + ': ' + vp.measure.text;
          vp.fig.setAttribute('data-measure', vp.measure.text);
        }
        if (vp.loupe) { vp.loupe = null; draw(vp); }
      }
    }
    box.addEventListener('pointerup', up);
    box.addEventListener('pointercancel', up);
    box.addEventListener('wheel', function (e) {
      if (!vp.im) return;
      if (e.ctrlKey) {
        e.preventDefault();
        state.zoom = clampZoom(state.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
        redrawSoon();
      } else if (vp.im.img.frames > 1) {
        e.preventDefault();
        setFrame(vp, vp.frame + (e.deltaY > 0 ? 1 : -1));
      }
    }, { passive: false });
  }
  function panBy(vp, dx, dy) {
    // the shared pan is in the right breast's terms; mirrored on the left
    var mirror = vp.orient.side === 'left' ? -1 : 1;
    state.panX += dx * mirror;
    state.panY += dy;
  }
  function clampZoom(z) { return Math.min(64, Math.max(0.1, z)); }
  function measureText(vp, m) {
    var i = vp.im.img, dx = m.b.x - m.a.x, dy = m.b.y - m.a.y;
    var sp = Array.isArray(i.spacing_mm) && i.spacing_mm.length === 2 ? i.spacing_mm : null;
    if (!sp) return Math.hypot(dx, dy).toFixed(1) + ' pixels (the file gives no pixel spacing, so no millimetres)';
    // spacing_mm: [between rows (vertical), between columns (horizontal)]
    var mm = Math.hypot(dx * sp[1], dy * sp[0]);
    return mm.toFixed(1) + ' mm (from ' + (i.spacing_source || 'the pixel spacing') + ')';
  }

  // ---- layouts ----
  function currentStudy() { return studies.filter(function (s) { return s.current; })[0] || studies[0]; }
  function imagesOf(study) { return images.filter(function (x) { return x.study === study; }); }
  // The image of a study with this label; a single-frame one first (the
  // hanging shows the 2D views; a tomosynthesis volume opens on its own).
  function findLabel(study, label) {
    var all = imagesOf(study).filter(function (x) { return (x.img.label || '') === label; });
    return all.filter(function (x) { return !(x.img.frames > 1); })[0] || all[0] || null;
  }
  function priorFor(im) {
    var lab = im.img.label;
    var ps = studies.filter(function (s) { return s !== im.study && !s.current; });
    for (var k = 0; k < ps.length; k++) {
      var f = lab ? findLabel(ps[k], lab) : null;
      if (f) return f;
    }
    return null;
  }
  function effectiveLayout() { return phone.matches ? 'single' : state.layout; }
  function selectedImage() {
    var cur = currentStudy();
    var im = images.filter(function (x) { return keyOf(x.img) === state.selected; })[0];
    if (im) return im;
    var first = null;
    STANDARD.some(function (l) { first = cur && findLabel(cur, l); return !!first; });
    return first || (cur && imagesOf(cur)[0]) || images[0] || null;
  }

  function build() {
    // a focused viewport is about to be replaced: the focus goes to the new first one
    var hadFocus = hangingEl.contains(document.activeElement) || switcherEl.contains(document.activeElement);
    buildViews();
    if (hadFocus) focusFirst();
  }
  function buildViews() {
    viewports = [];
    hangingEl.textContent = '';
    measureOut.textContent = '';
    var layout = effectiveLayout(), cur = currentStudy();
    hangingEl.setAttribute('data-layout', layout);
    var sel = selectedImage();
    if (layout === 'hanging') {
      STANDARD.forEach(function (l) { viewports.push(makeViewport(cur ? findLabel(cur, l) : null, l, 'hanging')); });
    } else if (layout === 'compare') {
      // the current study's image of this view (a 2D one first), beside the newest prior of the same view
      var base = sel && cur && sel.img.label ? findLabel(cur, sel.img.label) || sel : sel;
      viewports.push(makeViewport(base, base ? labelOf(base) : 'current', 'current'));
      var pr = base ? priorFor(base) : null;
      var vp2 = makeViewport(pr, base ? labelOf(base) + ' prior' : 'prior', 'prior');
      if (!pr) vp2.msg.textContent = 'No prior study with this view.';
      viewports.push(vp2);
    } else if (layout === 'pair') {
      // one view of both breasts, back to back: RCC | LCC, or RMLO | LMLO, …
      var view = (sel && sel.img.view) || 'CC';
      ['R', 'L'].forEach(function (side) {
        viewports.push(makeViewport(cur ? findLabel(cur, side + view) : null, side + view, 'pair'));
      });
    } else {
      viewports.push(makeViewport(sel, sel ? labelOf(sel) : 'image', 'single'));
    }
    viewports.forEach(function (v) { hangingEl.appendChild(v.fig); });
    buildSwitcher(layout, sel);
    syncButtons();
    viewports.forEach(function (v) { applyOrientAttrs(v); startLoading(v); });
    setActive(viewports.filter(function (v) { return v.im; })[0] || viewports[0]);
    drawAll();
    progressSummary();
  }
  function buildSwitcher(layout, sel) {
    switcherEl.textContent = '';
    if (layout === 'hanging') { switcherEl.hidden = true; return; }
    switcherEl.hidden = false;
    var cur = currentStudy();
    var list = layout === 'compare' ? imagesOf(cur) : images;
    if (layout === 'pair') {
      // one button per view the current study has for both breasts
      var views = [];
      imagesOf(cur).forEach(function (im) {
        var v = im.img.view;
        if (v && views.indexOf(v) < 0 && findLabel(cur, 'R' + v) && findLabel(cur, 'L' + v)) views.push(v);
      });
      list = views.map(function (v) { return findLabel(cur, 'R' + v); });
    }
    list.forEach(function (im) {
      var text = layout === 'pair' ? 'R' + im.img.view + ' and L' + im.img.view
        : labelOf(im) + (im.study.current ? '' : ' prior ' + (im.study.date || ''));
      var b = el('button', 'switch', text);
      b.type = 'button';
      var on = layout === 'pair' ? !!(sel && sel.img.view === im.img.view) : !!(sel && keyOf(sel.img) === keyOf(im.img));
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.setAttribute('data-key', keyOf(im.img));
      b.addEventListener('click', function () { state.selected = keyOf(im.img); build(); focusFirst(); });
      switcherEl.appendChild(b);
    });
  }
  function focusFirst() { var v = viewports.filter(function (x) { return x.im; })[0]; if (v) v.box.focus(); }
  // fromActive: the view being looked at becomes the one compared or shown
  // alone (the layout buttons and keys); otherwise state.selected was just set.
  function setLayout(l, fromActive) {
    if (fromActive && active && active.im) state.selected = keyOf(active.im.img);
    if (l !== state.layout) state.prevLayout = state.layout;
    state.layout = l;
    state.panX = state.panY = 0;
    state.zoom = 1;
    build();
  }
  function hideLoupes() { viewports.forEach(function (v) { if (v.loupe) { v.loupe = null; draw(v); } }); }
  function syncButtons() {
    toolbar.querySelectorAll('[data-layout]').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-layout') === state.layout)); });
    toolbar.querySelectorAll('[data-tool]').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-tool') === state.tool)); });
    toolbar.querySelector('[data-action="invert"]').setAttribute('aria-pressed', String(state.invert));
    toolbar.querySelector('[data-action="overlay"]').setAttribute('aria-pressed', String(state.overlay));
    hangingEl.setAttribute('data-tool', state.tool);
  }

  // ---- actions (toolbar and keyboard) ----
  function act(name) {
    var vp = active;
    switch (name) {
      case 'zoom-in': state.zoom = clampZoom(state.zoom * 1.25); break;
      case 'zoom-out': state.zoom = clampZoom(state.zoom / 1.25); break;
      case 'one-to-one':
        if (vp && vp.im) { var g = geometry(vp); state.zoom = clampZoom(1 / g.fit); }
        break;
      case 'invert':
        state.invert = !state.invert;
        viewports.forEach(function (v) { v.dirty = true; });
        break;
      case 'overlay': state.overlay = !state.overlay; break;
      case 'reset':
        state.zoom = 1; state.panX = state.panY = 0; state.invert = false;
        viewports.forEach(function (v) { v.measure = null; v.loupe = null; v.dirty = true; if (v.src) v.win = defaultWindow(v.src, v.im.img); v.fig.removeAttribute('data-measure'); });
        measureOut.textContent = '';
        fillPresets();
        break;
    }
    syncButtons();
    drawAll();
  }
  toolbar.addEventListener('click', function (e) {
    var b = e.target.closest('button');
    if (!b) return;
    if (b.hasAttribute('data-layout')) setLayout(b.getAttribute('data-layout'), true);
    else if (b.hasAttribute('data-tool')) { state.tool = b.getAttribute('data-tool'); syncButtons(); if (state.tool !== 'magnify') hideLoupes(); }
    else if (b.hasAttribute('data-action')) act(b.getAttribute('data-action'));
  });

  document.addEventListener('keydown', function (e) {
    var t = e.target;
    // single-key shortcuts only while the focus is in the viewer (WCAG 2.1.4)
    if (!root.contains(t)) return;
    if (t.tagName === 'SELECT' || t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && t.type !== 'range')) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var onView = t.classList && t.classList.contains('vp-canvas');
    var vp = onView ? viewports.filter(function (v) { return v.box === t; })[0] : active;
    var k = e.key, handled = true, step = 20;
    if (onView && e.shiftKey && /^Arrow/.test(k)) {
      var ws = vp && vp.win ? vp.win.width * 0.05 : 1;
      if (k === 'ArrowRight') changeWindow(vp, 0, ws);
      else if (k === 'ArrowLeft') changeWindow(vp, 0, -ws);
      else if (k === 'ArrowUp') changeWindow(vp, ws, 0);
      else changeWindow(vp, -ws, 0);
    } else if (onView && /^Arrow/.test(k) && state.tool === 'magnify' && vp.im) {
      // the magnifier moves with the arrows
      var r0 = vp.box.getBoundingClientRect(), L = vp.loupe || { x: r0.width / 2, y: r0.height / 2 };
      L = { x: L.x + (k === 'ArrowLeft' ? -step : k === 'ArrowRight' ? step : 0), y: L.y + (k === 'ArrowUp' ? -step : k === 'ArrowDown' ? step : 0) };
      vp.loupe = { x: Math.max(0, Math.min(r0.width, L.x)), y: Math.max(0, Math.min(r0.height, L.y)) };
      draw(vp);
    } else if (onView && state.tool === 'measure' && vp.im && (/^Arrow/.test(k) || k === 'Enter' || k === ' ' ||
                                                                (k === 'Escape' && vp.measure && !vp.measure.done))) {
      keyMeasure(vp, k);
    } else if (onView && k === 'Escape' && vp.loupe) {
      vp.loupe = null;
      draw(vp);
    } else if (onView && /^Arrow/.test(k)) {
      var dx = k === 'ArrowLeft' ? -step : k === 'ArrowRight' ? step : 0, dy = k === 'ArrowUp' ? -step : k === 'ArrowDown' ? step : 0;
      panBy(vp, dx, dy); redrawSoon();
    } else if (k === '1') setLayout('hanging', true);
    else if (k === '2') setLayout('compare', true);
    else if (k === '3') setLayout('single', true);
    else if (k === '4') setLayout('pair', true);
    else if (k === '+' || k === '=') act('zoom-in');
    else if (k === '-' || k === '_') act('zoom-out');
    else if (k === 'o' || k === 'O') act('one-to-one');
    else if (k === 'i' || k === 'I') act('invert');
    else if (k === 't' || k === 'T') act('overlay');
    else if (k === 'r' || k === 'R') act('reset');
    else if (k === 'v' || k === 'V') nextPreset();
    else if (k === 'w' || k === 'W') { state.tool = 'window'; syncButtons(); hideLoupes(); }
    else if (k === 'p' || k === 'P') { state.tool = 'pan'; syncButtons(); hideLoupes(); }
    else if (k === 'm' || k === 'M') { state.tool = 'measure'; syncButtons(); hideLoupes(); }
    else if (k === 'g' || k === 'G') {
      state.tool = 'magnify';
      syncButtons();
      if (onView && vp.im) { var r1 = vp.box.getBoundingClientRect(); vp.loupe = { x: r1.width / 2, y: r1.height / 2 }; draw(vp); }
    }
    else if (onView && (k === 'PageDown' || k === '.')) setFrame(vp, vp.frame + 1);
    else if (onView && (k === 'PageUp' || k === ',')) setFrame(vp, vp.frame - 1);
    else if (onView && k === 'Enter' && vp.im && effectiveLayout() !== 'single') { state.selected = keyOf(vp.im.img); setLayout('single'); focusFirst(); }
    else if (onView && k === 'Escape' && state.layout === 'single') { setLayout(state.prevLayout === 'single' ? 'hanging' : state.prevLayout); focusFirst(); }
    else if ((k === ']' || k === '[') && effectiveLayout() !== 'hanging') {
      var btns = Array.from(switcherEl.querySelectorAll('button'));
      var at = btns.findIndex(function (b) { return b.getAttribute('aria-pressed') === 'true'; });
      var nb = btns[(at + (k === ']' ? 1 : btns.length - 1)) % btns.length];
      if (nb) { state.selected = nb.getAttribute('data-key'); build(); focusFirst(); }
    } else handled = false;
    if (handled) e.preventDefault();
  });

  // ---- study browser ----
  function buildStudies() {
    studyList.textContent = '';
    studies.forEach(function (s) {
      var li = el('li', 'study' + (s.current ? ' current' : ' prior'));
      var h = el('h3', null);
      var badge = el('span', 'badge' + (s.current ? ' good' : ''), s.current ? 'Current' : 'Prior');
      h.appendChild(badge);
      h.appendChild(document.createTextNode(' ' + (s.date || 'Date unknown') + ' — ' + (s.description || 'no description')));
      li.appendChild(h);
      var mods = [];
      (s.series || []).forEach(function (se) { if (se.modality && mods.indexOf(se.modality) < 0) mods.push(se.modality); });
      var n = imagesOf(s).length;
      li.appendChild(el('p', 'study-meta', (mods.join(', ') || 'modality unknown') + ', ' + n + (n === 1 ? ' image' : ' images')));
      var ul = el('ul', 'thumbs');
      imagesOf(s).forEach(function (im) {
        var t = el('li');
        var b = el('button', 'thumb');
        b.type = 'button';
        b.setAttribute('data-key', keyOf(im.img));
        var c = el('canvas');
        c.width = 64; c.height = 80;
        c.setAttribute('aria-hidden', 'true');
        b.appendChild(c);
        b.appendChild(el('span', 'thumb-label', labelOf(im)));
        b.setAttribute('aria-label', 'Show ' + longLabel(im) + ' alone');
        b.addEventListener('click', function () { state.selected = keyOf(im.img); setLayout('single'); focusFirst(); });
        t.appendChild(b);
        ul.appendChild(t);
        loadPreview(im).then(function (p) {
          var s2 = entry(im), o = orientation(im.img, p.samples === 1 ? p : null), cx = c.getContext('2d');
          var f = Math.min(c.width / p.w, c.height / p.h), dw = p.w * f, dh = p.h * f;
          cx.fillStyle = '#000'; cx.fillRect(0, 0, c.width, c.height);
          cx.save();
          cx.translate((c.width - dw) / 2 + (o.flipH ? dw : 0), (c.height - dh) / 2 + (o.flipV ? dh : 0));
          cx.scale(o.flipH ? -1 : 1, o.flipV ? -1 : 1);
          cx.drawImage(s2.blobThumb, 0, 0, dw, dh);
          cx.restore();
        }).catch(function (e) {
          b.classList.add('failed');
          b.setAttribute('title', e.message);
          b.appendChild(el('span', 'thumb-error', 'Cannot be shown'));
        });
      });
      li.appendChild(ul);
      studyList.appendChild(li);
    });
  }

  // ---- start ----
  function start(j) {
    studies = (j.studies || []).slice().sort(function (a, b) {
      if (a.current !== b.current) return a.current ? -1 : 1;
      return String(b.date || '').localeCompare(String(a.date || ''));
    });
    images = [];
    studies.forEach(function (s) {
      (s.series || []).forEach(function (se) {
        (se.images || []).forEach(function (img) { images.push({ img: img, study: s, series: se }); });
      });
    });
    var notice = document.getElementById('viewer-notice');
    if (notice && j.notice === false) notice.hidden = true;
    if (!images.length) {
      say('There are no images in this request yet.');
      root.classList.add('empty');
      return;
    }
    var cur = currentStudy();
    var hasStandard = cur && STANDARD.some(function (l) { return findLabel(cur, l); });
    if (!hasStandard) state.layout = 'single';
    buildStudies();
    build();
  }
  fetch(api, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } }).then(function (res) {
    if (!res.ok) throw new Error(res.status === 404 ? 'The images of this request could not be found.' : 'The list of images could not be loaded (the server answered ' + res.status + '). Try again later.');
    return res.json();
  }).then(start).catch(function (e) { say(e.message); root.classList.add('failed'); });

  var resizeTimer = 0, lastPhone = phone.matches;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      if (phone.matches !== lastPhone) { lastPhone = phone.matches; if (images.length) build(); }
      else drawAll();
    }, 100);
  });
})();
