// The display transforms of the image viewer (static/js/viewer.js), apart so
// that tests/e2e/viewer_lut.test.mjs can check them against the truth table
// tests/data/voi_table.tsv without a browser.
//   Modality LUT: x = stored × slope + intercept (PS3.3 C.11.1)
//   or the file's Modality LUT Sequence table (PS3.3 C.11.1.1)
//   VOI LUT Function (PS3.3 C.11.2.1.2, C.11.2.1.3), output 0..255 rounded half up,
//   or one of the file's VOI LUT Sequence tables, scaled from its bits to 0..255
//   (rounded half up) as the server's preview does (server/dicom/lut.c)
var SecondopLut = (function () {
  'use strict';
  // The display value (0..255) of modality value x under window (c, w) and
  // function fn; -1 when the width is not valid for the function (LINEAR
  // needs w >= 1, LINEAR_EXACT and SIGMOID w > 0).
  function voi(x, c, w, fn) {
    var y;
    if (fn === 'SIGMOID') {
      if (!(w > 0)) return -1;
      y = 255 / (1 + Math.exp(-4 * (x - c) / w));
    } else if (fn === 'LINEAR_EXACT') {
      if (!(w > 0)) return -1;
      if (x <= c - w / 2) y = 0;
      else if (x > c + w / 2) y = 255;
      else y = ((x - c) / w + 0.5) * 255;
    } else {
      if (!(w >= 1)) return -1;
      if (x <= c - 0.5 - (w - 1) / 2) y = 0;
      else if (x > c - 0.5 + (w - 1) / 2) y = 255;
      else y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
    }
    return Math.min(255, Math.max(0, Math.floor(y + 0.5)));
  }
  // A table from stored value (src.min .. src.max) to display byte, for the
  // window win {center, width, fn}; MONOCHROME1 and invert each turn it over.
  // A window whose width is not valid for its function is never passed here
  // (validWindow).
  // A table of the file ({first, bits, table}): inputs below first or past the
  // last entry take the first or last entry.
  function lutAt(l, x) {
    var i = Math.floor(x) - l.first;
    if (i < 0) i = 0;
    if (i > l.table.length - 1) i = l.table.length - 1;
    return l.table[i];
  }
  // The modality value of stored value s: the file's Modality LUT when src has
  // one (src.modality), else rescale.
  function modality(src, s) { return src.modality ? lutAt(src.modality, s) : s * src.slope + src.intercept; }
  // win is a window {center, width, fn}, or a VOI table {lut: {first, bits, table}}.
  function buildLut(src, win, mono1, invert) {
    var n = src.max - src.min + 1, lut = new Uint8Array(n);
    var fn = win.fn, c = win.center, w = win.width, t = win.lut, top = t ? Math.pow(2, t.bits) - 1 : 1;
    for (var k = 0; k < n; k++) {
      var x = modality(src, k + src.min);
      var y = t ? Math.floor(lutAt(t, x) * 255 / top + 0.5) : voi(x, c, w, fn);
      if (mono1 !== invert) y = 255 - y;
      lut[k] = y;
    }
    return lut;
  }
  function validWindow(win) { return !!win.lut || voi(win.center, win.center, win.width, win.fn) >= 0; }
  // The window a VOI table's inputs span: where dragging starts from when the
  // reader leaves a table for a window of her own.
  function tableWindow(l) { return { center: l.first + l.table.length / 2, width: Math.max(1, l.table.length), fn: 'LINEAR' }; }
  return { voi: voi, buildLut: buildLut, validWindow: validWindow, modality: modality, tableWindow: tableWindow };
})();
