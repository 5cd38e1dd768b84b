// The viewer's display transforms (static/js/viewer_lut.js), loaded as the
// page loads them, against the VOI truth table tests/data/voi_table.tsv
// (worked by hand from PS3.3 C.11.2.1.2 before the code; the C decoder of
// server/dicom/pixels.c is held to the same table): LINEAR, LINEAR_EXACT and
// SIGMOID, rounding half up, invalid widths refused. Then the lookup table
// with the Modality LUT, MONOCHROME1 and invert. No browser needed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { ROOT } from './lib.mjs';

function load() {
  const ctx = {};
  vm.createContext(ctx);
  vm.runInContext(fs.readFileSync(path.join(ROOT, 'static', 'js', 'viewer_lut.js'), 'utf8') + '\nthis.SecondopLut = SecondopLut;', ctx);
  return ctx.SecondopLut;
}

export const tests = [
  {
    name: 'VOI functions follow tests/data/voi_table.tsv row by row',
    async fn() {
      const L = load();
      const rows = fs.readFileSync(path.join(ROOT, 'tests', 'data', 'voi_table.tsv'), 'utf8').split('\n')
        .filter((l) => l && !l.startsWith('#'));
      assert.ok(rows.length >= 25, 'the table has its rows: ' + rows.length);
      const wrong = [];
      for (const r of rows) {
        const [fn, c, w, x, want] = r.split('\t');
        const got = L.voi(Number(x), Number(c), Number(w), fn);
        if (got !== Number(want)) wrong.push(`${r} → ${got}`);
      }
      assert.deepEqual(wrong, []);
    },
  },
  {
    name: 'lookup table: rescale slope and intercept, MONOCHROME1 and invert',
    async fn() {
      const L = load();
      // stored -1000..1000, slope 2, intercept -1024: modality -3024..976
      const src = { min: -1000, max: 1000, slope: 2, intercept: -1024 };
      const win = { center: -1024, width: 2000, fn: 'LINEAR' };
      const lut = L.buildLut(src, win, false, false);
      assert.equal(lut.length, 2001);
      const at = (t, v) => t[v - src.min];
      assert.equal(at(lut, 0), L.voi(-1024, -1024, 2000, 'LINEAR'));
      assert.equal(at(lut, 0), 128);
      assert.equal(at(lut, -1000), 0);   // modality -3024, far below the window
      assert.equal(at(lut, 1000), 255);  // modality 976, above it
      const m1 = L.buildLut(src, win, true, false), inv = L.buildLut(src, win, false, true);
      const both = L.buildLut(src, win, true, true);
      for (const v of [-1000, -400, 0, 1, 400, 1000]) {
        assert.equal(at(m1, v), 255 - at(lut, v), 'MONOCHROME1 turns it over at ' + v);
        assert.equal(at(inv, v), 255 - at(lut, v), 'invert turns it over at ' + v);
        assert.equal(at(both, v), at(lut, v), 'invert on MONOCHROME1 gives MONOCHROME2 back at ' + v);
      }
      assert.equal(L.validWindow({ center: 0, width: 0.5, fn: 'LINEAR' }), false);
      assert.equal(L.validWindow({ center: 0, width: 0.5, fn: 'LINEAR_EXACT' }), true);
      assert.equal(L.validWindow({ center: 0, width: 0, fn: 'SIGMOID' }), false);
    },
  },
  {
    name: 'lookup tables of the file: Modality LUT, then a VOI LUT scaled from its bits',
    async fn() {
      const L = load();
      // gen_pixels.modality_lut() and .voi_luts(): FLIP (entry i = 4095 - i), RAMP
      // (16 i, 16 bits), INVERSE (255 - i, 8 bits, from input 1000)
      const flip = { first: 0, bits: 16, table: Array.from({ length: 4096 }, (_, i) => 4095 - i) };
      const ramp = { first: 0, bits: 16, table: Array.from({ length: 4096 }, (_, i) => 16 * i) };
      const inverse = { first: 1000, bits: 8, table: Array.from({ length: 256 }, (_, i) => 255 - i) };
      const src = { min: 0, max: 4095, slope: 1, intercept: 0, modality: null };
      const at = (t, v) => t[v - src.min];
      const viaRamp = L.buildLut(src, { lut: ramp }, false, false);
      for (const v of [0, 1, 7, 2048, 4095]) assert.equal(at(viaRamp, v), Math.floor(16 * v * 255 / 65535 + 0.5), 'RAMP at ' + v);
      const flipped = L.buildLut({ ...src, modality: flip }, { lut: ramp }, false, false);
      for (const v of [0, 1, 2048, 4095]) assert.equal(at(flipped, v), at(viaRamp, 4095 - v), 'FLIP then RAMP at ' + v);
      // inputs outside the table take its first or last entry
      const inv = L.buildLut(src, { lut: inverse }, false, false);
      assert.equal(at(inv, 0), 255);
      assert.equal(at(inv, 1000), 255);
      assert.equal(at(inv, 1001), 254);
      assert.equal(at(inv, 1255), 0);
      assert.equal(at(inv, 4095), 0);
      // MONOCHROME1 and invert apply after the table, as after a window
      assert.equal(at(L.buildLut(src, { lut: inverse }, true, false), 1001), 1);
      // a window over the Modality LUT's output
      const win = L.buildLut({ ...src, modality: flip }, { center: 2048, width: 4096, fn: 'LINEAR' }, false, false);
      assert.equal(at(win, 0), L.voi(4095, 2048, 4096, 'LINEAR'));
      assert.equal(L.validWindow({ lut: ramp }), true);
      assert.equal(JSON.stringify(L.tableWindow(inverse)), JSON.stringify({ center: 1128, width: 256, fn: 'LINEAR' }));
      assert.equal(L.modality({ modality: null, slope: 2, intercept: -1 }, 5), 9);
    },
  },
];
