/* "Send to our PACS" on a request's page: while a send is under way, its progress is read
 * again every few seconds (GET /requests/ID/pacs-sends.json) and shown; when every send has
 * ended the page is loaded again to list each image's outcome. */
(function () {
  'use strict';
  var box = document.querySelector('[data-pacs-progress]');
  if (!box) return;
  var url = box.getAttribute('data-pacs-progress');
  var final = function (s) { return s === 'done' || s === 'failed' || s === 'stopped'; };
  var pending = function () {
    var items = box.querySelectorAll('[data-send-id]');
    for (var i = 0; i < items.length; i++) if (!final(items[i].getAttribute('data-state'))) return true;
    return false;
  };
  if (!pending()) return;
  var tick = function () {
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('progress ' + r.status); return r.json(); })
      .then(function (sends) {
        var ended = false;
        sends.forEach(function (s) {
          var li = box.querySelector('[data-send-id="' + s.id + '"]');
          if (!li) return;
          var bar = li.querySelector('progress');
          if (bar) { bar.max = s.total; bar.value = s.answered; }
          var count = li.querySelector('.pacs-count');
          if (count) count.textContent = s.answered + ' of ' + s.total + ' sent';
          var state = li.querySelector('.pacs-state');
          if (state) {
            state.textContent = s.state === 'retrying'
              ? 'Waiting to retry' + (s.next_try_at ? ' at ' + s.next_try_at : '') + (s.failure ? ' (' + s.failure + ')' : '')
              : s.state_words;
          }
          if (final(s.state) && !final(li.getAttribute('data-state'))) ended = true;
          li.setAttribute('data-state', s.state);
        });
        if (ended) { window.location.reload(); return; }
        if (pending()) window.setTimeout(tick, 3000);
      })
      .catch(function () { window.setTimeout(tick, 10000); });
  };
  window.setTimeout(tick, 2000);
}());
