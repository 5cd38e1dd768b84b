// secondop — small progressive enhancements. No inline script anywhere: the
// page passes data through data-* attributes.
(function () {
  'use strict';
  // Warn two minutes before the session's idle logoff (30 minutes for
  // patients, 15 for the center), and let the person stay: "Stay signed in"
  // makes a harmless authenticated request that renews the session, then
  // hides the warning without reloading (nothing typed is lost).
  var body = document.body;
  var idle = parseInt(body.getAttribute('data-idle-seconds') || '0', 10);
  var box = document.getElementById('idle-warning');
  if (idle > 0 && box) {
    var remaining = document.getElementById('idle-remaining');
    var cont = document.getElementById('idle-continue');
    var error = document.getElementById('idle-error');
    var deadline = 0, warnTimer = null, tick = null, before = null;
    var words = function (left) {
      var m = Math.floor(left / 60), s = left % 60, out = [];
      if (m) out.push(m + (m === 1 ? ' minute' : ' minutes'));
      if (s || !m) out.push(s + (s === 1 ? ' second' : ' seconds'));
      return out.join(' ');
    };
    var csrf = function () { return (document.querySelector('input[name=csrf]') || {}).value || ''; };
    // time is up: end the session here too (the server ends it on its own
    // clock as well), so a shared computer is not left signed in
    var signOut = function () {
      var go = function () { window.location.href = '/login?expired=1'; };
      fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } }).then(go, go);
    };
    var update = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (remaining) remaining.textContent = words(left);
      if (left <= 0) { clearInterval(tick); signOut(); }
    };
    var show = function () {
      before = document.activeElement;
      box.hidden = false;
      update();
      tick = setInterval(update, 1000);
      if (cont) cont.focus();
    };
    var hide = function () {
      box.hidden = true;
      clearInterval(tick);
      if (before && before.focus && before !== document.body) before.focus();
    };
    var schedule = function (seconds) {
      deadline = Date.now() + seconds * 1000;
      clearTimeout(warnTimer);
      warnTimer = setTimeout(show, Math.max(seconds - 120, 1) * 1000);
    };
    schedule(idle);
    var stay = function () {
      fetch('/session/ping', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } })
        .then(function (r) { if (!r.ok) throw new Error('ping ' + r.status); return r.json(); })
        .then(function (j) { hide(); schedule(j.idle_seconds > 0 ? j.idle_seconds : idle); })
        .catch(function () { if (error) error.hidden = false; });
    };
    if (cont) cont.addEventListener('click', stay);
    box.addEventListener('keydown', function (e) {
      // the dialog keeps the keyboard on its one button; Escape means "stay"
      if (e.key === 'Escape') { e.preventDefault(); stay(); }
      if (e.key === 'Tab' && cont) { e.preventDefault(); cont.focus(); }
    });
  }
  // Phones: under 600 px every table is shown as cards, one per row (static/css/site.css); each
  // cell shows its column's name from the table's header row. A template may write data-label
  // itself; it is never overwritten. Cells spanning columns are counted by their colspan.
  var tables = document.querySelectorAll('table');
  for (var t = 0; t < tables.length; t++) {
    if (tables[t].getAttribute('role') === 'presentation') continue; // a layout table (the print frame)
    var head = tables[t].tHead && tables[t].tHead.rows[tables[t].tHead.rows.length - 1];
    if (!head) continue;
    var names = [];
    for (var h = 0; h < head.cells.length; h++) {
      var span = head.cells[h].colSpan || 1;
      for (var k = 0; k < span; k++) names.push(head.cells[h].textContent.replace(/\s+/g, ' ').trim());
    }
    for (var b = 0; b < tables[t].tBodies.length; b++) {
      var rows = tables[t].tBodies[b].rows;
      for (var r = 0; r < rows.length; r++) {
        var col = 0;
        for (var c = 0; c < rows[r].cells.length; c++) {
          var cell = rows[r].cells[c];
          if (cell.tagName === 'TD' && !cell.hasAttribute('data-label')) cell.setAttribute('data-label', names[col] || '');
          col += cell.colSpan || 1;
        }
      }
    }
  }
})();
