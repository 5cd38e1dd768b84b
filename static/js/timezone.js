// secondop — the browser's time zone (IANA name, e.g. "America/Los_Angeles").
// At sign-up it fills the hidden field, so the new account starts in the
// zone its owner lives in; on the account page it offers that zone in one
// click. The server checks the name against its own tz database.
(function () {
  'use strict';
  var zone = '';
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch (e) {
    zone = '';
  }
  if (!zone) return;
  var fields = document.querySelectorAll('input[data-browser-tz]');
  for (var i = 0; i < fields.length; i++) if (!fields[i].value) fields[i].value = zone;
  var hint = document.querySelector('[data-browser-tz-hint]');
  var use = document.querySelector('[data-browser-tz-use]');
  var input = document.getElementById('f-time_zone');
  if (hint && use && input && input.value !== zone) {
    use.textContent = zone;
    use.setAttribute('aria-label', 'Use the browser\'s zone, ' + zone);
    use.addEventListener('click', function () { input.value = zone; input.focus(); });
    hint.hidden = false;
  }
})();
