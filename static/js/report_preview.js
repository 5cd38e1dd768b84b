// secondop — the reviewer's report form: as the category and the
// recommendations change, ask the server (the same C function that signing
// uses) what the verdict would be and what the patient would read, and show
// it before the signature. No inline script: the URL comes from data-url.
(function () {
  'use strict';
  var form = document.getElementById('report-form');
  var box = document.getElementById('verdict-preview');
  if (!form || !box) return;
  var url = box.getAttribute('data-url');
  var warn = document.getElementById('preview-contradiction');
  var reasonField = document.getElementById('f-contradiction_reason');
  var reasonBox = reasonField ? reasonField.closest('.field') : null;
  var seq = 0;
  var set = function (k, text) {
    var el = box.querySelector('[data-k="' + k + '"]');
    if (el) el.textContent = text || '';
  };
  var showReason = function (contradiction) {
    if (warn) warn.hidden = !contradiction;
    // the reason field stays visible while it holds text or has an error
    if (reasonBox) reasonBox.hidden = !contradiction && !reasonField.value && !reasonBox.classList.contains('has-error');
  };
  var update = function () {
    var mine = ++seq;
    var body = new URLSearchParams();
    ['csrf', 'birads', 'recommendation', 'first_recommendation'].forEach(function (n) {
      var el = form.elements[n];
      if (el) body.append(n, el.value);
    });
    box.setAttribute('aria-busy', 'true');
    fetch(url, { method: 'POST', credentials: 'same-origin', body: body,
      headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (mine !== seq) return; // a newer answer is on its way
        box.removeAttribute('aria-busy');
        if (!j) { set('verdict_label', 'The preview is not available; signing still computes the verdict.'); return; }
        ['verdict_label', 'suspicion_label', 'first_read_label', 'first_birads_label',
          'first_recommendation_label', 'patient_sentence', 'suspicion_sentence'].forEach(function (k) { set(k, j[k]); });
        var v = document.getElementById('preview-verdict');
        if (v) v.setAttribute('data-verdict', j.verdict);
        showReason(j.contradiction);
      })
      .catch(function () { box.removeAttribute('aria-busy'); });
  };
  ['birads', 'recommendation', 'first_recommendation'].forEach(function (n) {
    var el = form.elements[n];
    if (el) el.addEventListener('change', update);
  });
  showReason(warn ? !warn.hidden : false);
})();
