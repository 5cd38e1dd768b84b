// secondop — small progressive enhancements. No inline script anywhere: the
// page passes data through data-* attributes.
(function () {
  'use strict';
  // Warn two minutes before the session's idle logoff, and let the person stay.
  var body = document.body;
  var idle = parseInt(body.getAttribute('data-idle-seconds') || '0', 10);
  if (idle > 0) {
    var warnAt = Math.max(idle - 120, 1) * 1000;
    var box = document.getElementById('idle-warning');
    var remaining = document.getElementById('idle-remaining');
    var deadline = Date.now() + idle * 1000;
    var timer = null;
    var show = function () {
      if (!box) return;
      box.hidden = false;
      var btn = document.getElementById('idle-continue');
      if (btn) btn.focus();
      timer = setInterval(function () {
        var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
        if (remaining) remaining.textContent = left > 60 ? Math.ceil(left / 60) + ' minutes' : left + ' seconds';
        if (left <= 0) { clearInterval(timer); window.location.href = '/login?expired=1'; }
      }, 1000);
    };
    setTimeout(show, warnAt);
    var cont = document.getElementById('idle-continue');
    if (cont) cont.addEventListener('click', function () {
      fetch('/session/ping', { method: 'POST', credentials: 'same-origin',
        headers: { 'X-CSRF-Token': (document.querySelector('input[name=csrf]') || {}).value || '' } })
        .then(function (r) { if (r.ok) { window.location.reload(); } else { window.location.href = '/login?expired=1'; } });
    });
  }
})();
