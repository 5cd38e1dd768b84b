// Our own tus 1.0.0 client for the records page: files or a whole folder
// (picker or drag and drop), per-file and overall progress with speed and
// time left, pause/resume, resume after a reload (upload URLs remembered in
// localStorage by request, path, size and modification time; the server's
// offset comes from HEAD), retries with back-off when the network drops.
// After the last byte the server checks each file in the background: the
// uploader asks for the upload's status until it is checked and then shows
// the real outcome (kept, partly kept, not accepted with the reason), so a
// failure is never shown as success. When the queue is empty and every file
// is checked, the page's receipt, series and files are fetched again and
// swapped in, so the patient sees what was actually kept.
// No inline script: data comes from data-* attributes.
(function () {
  'use strict';
  var root = document.getElementById('uploader');
  if (!root || !window.XMLHttpRequest || !window.Promise) return;
  var requestId = root.getAttribute('data-request');
  var csrf = root.getAttribute('data-csrf');
  var maxSize = parseInt(root.getAttribute('data-max-size'), 10) || 0;
  var CHUNK = parseInt(root.getAttribute('data-chunk'), 10) || 8 * 1024 * 1024;
  var STORE_PREFIX = 'secondop-upload:' + requestId + ':';
  var $ = function (id) { return document.getElementById(id); };
  var list = $('up-list'), status = $('up-status');
  var startBtn = $('up-start'), pauseBtn = $('up-pause'), resumeBtn = $('up-resume');
  var overall = $('up-overall'), overallBar = $('up-overall-bar'), overallText = $('up-overall-text');
  var kindSel = $('up-kind'), doneNote = $('up-done');
  var items = [];
  var running = false, paused = false, current = null, lastAnnounce = 0;
  var speedSamples = [], retryWait = null;

  function human(n) {
    if (n < 1000) return n + ' bytes';
    if (n < 1e6) return (n / 1e3).toFixed(1) + ' kB';
    if (n < 1e9) return (n / 1e6).toFixed(1) + ' MB';
    return (n / 1e9).toFixed(2) + ' GB';
  }
  function duration(s) {
    if (!isFinite(s) || s < 0) return '';
    if (s < 60) return Math.max(1, Math.ceil(s)) + ' s';
    if (s < 3600) return Math.ceil(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  // The live region: progress at most every 10 s, state changes at once.
  function announce(text, force) {
    var now = Date.now();
    if (!force && now - lastAnnounce < 10000) return;
    lastAnnounce = now;
    status.textContent = text;
  }
  function b64(s) { return btoa(unescape(encodeURIComponent(s))); }
  function storeKey(it) { return STORE_PREFIX + it.relPath + ':' + it.file.size + ':' + (it.file.lastModified || 0); }
  function storeGet(it) { try { return localStorage.getItem(storeKey(it)); } catch (e) { return null; } }
  function storeSet(it) { try { localStorage.setItem(storeKey(it), it.url); } catch (e) { /* private mode */ } }
  function storeDrop(it) { try { localStorage.removeItem(storeKey(it)); } catch (e) { /* private mode */ } }

  function refusal(message) { var e = new Error(message); e.refused = true; return e; }
  function retryable(message) { var e = new Error(message); e.retry = true; return e; }
  // 507: the center's storage is full; worth trying again later (what arrived is kept)
  function storageFull() { var e = retryable('storage full'); e.full = true; return e; }
  // The server's own words for a refusal (JSON error body), or a plain fallback.
  function serverMessage(x, fallback) {
    try {
      var j = JSON.parse(x.responseText);
      if (j && j.error && j.error.message) return j.error.message;
    } catch (e) { /* not JSON */ }
    return fallback + ' (' + x.status + ')';
  }

  function setState(it, state, text) {
    it.state = state;
    it.stateEl.textContent = text;
  }
  function shown(it) {
    if (it.state === 'checking' || it.state === 'done') return it.file.size;
    return Math.min(it.file.size, it.sent + (it.inflight || 0));
  }
  function paint(it) {
    var pct = it.file.size ? Math.floor(shown(it) * 100 / it.file.size) : (it.state === 'done' ? 100 : 0);
    if (it.state === 'done') pct = 100;
    it.bar.value = pct;
    it.pctEl.textContent = pct + ' %';
  }

  function addFile(file, relPath) {
    var it = { file: file, relPath: relPath || file.webkitRelativePath || file.name, kind: kindSel.value,
      sent: 0, inflight: 0, state: 'waiting', url: null, tries: 0 };
    var li = document.createElement('li');
    var name = document.createElement('span'); name.className = 'name'; name.textContent = it.relPath;
    var size = document.createElement('span'); size.className = 'size'; size.textContent = human(file.size);
    var bar = document.createElement('progress'); bar.max = 100; bar.value = 0;
    bar.setAttribute('aria-label', 'Progress of ' + it.relPath);
    var pct = document.createElement('span'); pct.className = 'pct'; pct.textContent = '0 %';
    var st = document.createElement('span'); st.className = 'state';
    li.appendChild(name); li.appendChild(size); li.appendChild(bar); li.appendChild(pct); li.appendChild(st);
    list.appendChild(li);
    it.li = li; it.bar = bar; it.pctEl = pct; it.stateEl = st;
    setState(it, 'waiting', storeGet(it) ? 'waiting (continues where it stopped)' : 'waiting');
    if (maxSize && file.size > maxSize) setState(it, 'refused', 'too large: the limit is ' + human(maxSize));
    items.push(it);
    doneNote.hidden = true;
    buttons();
  }

  function pending() {
    return items.filter(function (x) { return x.state === 'waiting' || x.state === 'sending' || x.state === 'paused' || x.state === 'retrying'; });
  }
  function buttons() {
    var left = pending().length > 0;
    startBtn.disabled = running || paused || !left;
    pauseBtn.disabled = !running || paused;
    resumeBtn.disabled = !paused || !left;
  }

  function refreshOverall() {
    var total = 0, sent = 0;
    items.forEach(function (it) { if (it.state !== 'refused') { total += it.file.size; sent += shown(it); } });
    overall.hidden = false;
    var pct = total ? Math.floor(sent * 100 / total) : 100;
    if (!pending().length && items.some(function (it) { return it.state === 'done'; }) && sent >= total) pct = 100;
    overallBar.value = pct;
    var now = Date.now();
    if (speedSamples.length && sent < speedSamples[speedSamples.length - 1][1]) speedSamples = [];
    speedSamples.push([now, sent]);
    while (speedSamples.length > 2 && now - speedSamples[0][0] > 10000) speedSamples.shift();
    var first = speedSamples[0], rate = 0;
    if (now - first[0] > 500) rate = (sent - first[1]) * 1000 / (now - first[0]);
    var text = pct + ' %: ' + human(sent) + ' of ' + human(total);
    if (running && !paused && rate > 0 && sent < total) text += ', ' + human(Math.round(rate)) + '/s, about ' + duration((total - sent) / rate) + ' left';
    overallText.textContent = text;
    announce('Uploaded ' + text + '.', false);
  }

  function xhr(it, method, url, headers, body) {
    return new Promise(function (resolve, reject) {
      var x = new XMLHttpRequest();
      x.open(method, url);
      headers['Tus-Resumable'] = '1.0.0';
      headers['X-CSRF-Token'] = csrf;
      Object.keys(headers).forEach(function (k) { x.setRequestHeader(k, headers[k]); });
      if (method === 'PATCH' && x.upload) {
        x.upload.onprogress = function (e) { it.inflight = e.loaded; paint(it); refreshOverall(); };
      }
      x.onload = function () { it.xhr = null; resolve(x); };
      x.onerror = function () { it.xhr = null; reject(retryable('network')); };
      x.ontimeout = x.onerror;
      x.onabort = function () { it.xhr = null; reject(retryable('aborted')); };
      it.xhr = x;
      x.send(body);
    });
  }

  function create(it) {
    var meta = 'request ' + b64(requestId) + ',kind ' + b64(it.kind) + ',filename ' + b64(it.relPath);
    return xhr(it, 'POST', '/api/v1/uploads', { 'Upload-Length': String(it.file.size), 'Upload-Metadata': meta }, null)
      .then(function (x) {
        if (x.status === 201) {
          it.url = x.getResponseHeader('Location');
          it.sent = 0;
          storeSet(it);
          return;
        }
        if (x.status === 507) throw storageFull();
        if (x.status >= 500 && x.status !== 501) throw retryable('server ' + x.status);
        throw refusal(serverMessage(x, 'not accepted'));
      });
  }
  // Asks the server how much it has; false when it no longer knows the upload.
  function head(it) {
    return xhr(it, 'HEAD', it.url, {}, null).then(function (x) {
      if (x.status === 200) {
        it.sent = parseInt(x.getResponseHeader('Upload-Offset'), 10) || 0;
        it.inflight = 0;
        paint(it);
        return true;
      }
      if (x.status === 404 || x.status === 410 || x.status === 403) {
        it.url = null; storeDrop(it);
        return false;
      }
      if (x.status >= 500) throw retryable('server ' + x.status);
      throw refusal(serverMessage(x, 'not accepted'));
    });
  }
  // Finds or makes the upload on the server: the remembered URL (after a
  // reload or a retry) resumes from the server's offset.
  function locate(it) {
    if (!it.url) it.url = storeGet(it);
    var p = it.url ? head(it) : Promise.resolve(false);
    return p.then(function (known) { return known ? null : create(it); });
  }
  function patchLoop(it) {
    if (paused) return Promise.resolve(false);
    var size = it.file.size;
    if (it.sent >= size && (size > 0 || it.emptySent)) return Promise.resolve(true);
    var start = it.sent, end = Math.min(size, start + CHUNK);
    it.inflight = 0;
    return xhr(it, 'PATCH', it.url, { 'Upload-Offset': String(start), 'Content-Type': 'application/offset+octet-stream' },
      it.file.slice(start, end)).then(function (x) {
      it.inflight = 0;
      if (x.status === 204) {
        it.sent = parseInt(x.getResponseHeader('Upload-Offset'), 10) || end;
        if (size === 0) it.emptySent = true;
        it.tries = 0;
        paint(it); refreshOverall();
        return patchLoop(it);
      }
      // 409: another PATCH (an aborted one) may still be finishing; ask again after a pause
      if (x.status === 409) return wait(500).then(function () { return head(it); }).then(function (known) {
        if (!known) throw retryable('upload gone');
        return patchLoop(it);
      });
      if (x.status === 404 || x.status === 410) { it.url = null; storeDrop(it); throw retryable('upload gone'); }
      if (x.status === 507) throw storageFull();
      if (x.status === 460 || x.status >= 500) throw retryable('server ' + x.status);
      throw refusal(serverMessage(x, 'not accepted'));
    });
  }

  // A wait that Pause cuts short.
  function wait(ms) {
    return new Promise(function (resolve) {
      retryWait = { id: setTimeout(function () { retryWait = null; resolve(); }, ms), resolve: resolve };
    });
  }

  // Asks the server how the check of a complete upload went, until it is done;
  // pauses grow from 0.3 s to 2 s. Resolves once the outcome is shown.
  var checks = [];
  function checkStatus(it) {
    var delay = 300;
    var ask = function () {
      return new Promise(function (resolve) {
        var x = new XMLHttpRequest();
        x.open('GET', it.url + '/status');
        x.onload = function () {
          var st = null;
          try { st = x.status === 200 ? JSON.parse(x.responseText) : null; } catch (e) { st = null; }
          resolve({ code: x.status, st: st });
        };
        x.onerror = function () { resolve({ code: 0, st: null }); };
        x.send();
      }).then(function (r) {
        var st = r.st;
        if (r.code === 404) { setState(it, 'refused', 'not kept: the upload is gone. Please upload it again.'); return; }
        if (!st || st.state === 'checking' || st.state === 'receiving' || st.state === 'waiting') {
          if (st && st.state === 'waiting') { setState(it, 'checking', st.message || 'received; waiting for the virus check'); paint(it); }
          return new Promise(function (res) { setTimeout(res, delay); }).then(function () {
            delay = Math.min(2000, Math.round(delay * 1.5));
            return ask();
          });
        }
        var msg = st.message || '';
        if (st.state === 'failed') {
          setState(it, 'refused', 'not kept: ' + msg + '.');
          announce(it.relPath + ' was not kept: ' + msg + '.', true);
        } else if (st.outcome === 'refused') {
          setState(it, 'refused', 'not accepted: ' + msg + ' Nothing from this file was kept; please check the file or ask the center.');
          announce(it.relPath + ' was not accepted: ' + msg, true);
        } else if (st.outcome === 'partly') {
          setState(it, 'done', 'received; some files in it were not accepted: ' + msg);
        } else {
          setState(it, 'done', 'received and checked');
        }
        paint(it); refreshOverall();
      });
    };
    setState(it, 'checking', 'received, being checked…');
    it.bar.value = 100; it.pctEl.textContent = '100 %';
    return ask();
  }

  function uploadOne(it) {
    current = it;
    setState(it, 'sending', 'sending');
    return locate(it).then(function () { return patchLoop(it); }).then(function (done) {
      if (!done) { setState(it, 'paused', 'paused'); return; }
      storeDrop(it);
      checks.push(checkStatus(it));
      refreshOverall();
    }).catch(function (err) {
      it.inflight = 0;
      paint(it);
      if (paused) { setState(it, 'paused', 'paused'); return; }
      if (err && err.refused) {
        storeDrop(it);
        setState(it, 'refused', 'not accepted: ' + err.message);
        announce(it.relPath + ' was not accepted: ' + err.message, true);
        refreshOverall();
        return;
      }
      it.tries++;
      var secs = Math.min(60, Math.pow(2, it.tries - 1));
      if (err && err.full) {
        setState(it, 'retrying', 'the center\'s storage is full right now, trying again in ' + secs + ' s');
        announce('The center\'s storage is full right now. Trying again in ' + secs + ' seconds' +
          (it.sent > 0 ? '; the part already received is kept.' : '.'), true);
      } else {
        setState(it, 'retrying', 'connection lost, trying again in ' + secs + ' s');
        announce('The connection was lost. Trying again in ' + secs + ' seconds.', true);
      }
      return wait(secs * 1000).then(function () {
        if (paused) { setState(it, 'paused', 'paused'); return; }
        return uploadOne(it);
      });
    });
  }

  function run() {
    if (running) return;
    running = true; paused = false;
    buttons();
    var next = function () {
      if (paused) { running = false; buttons(); return; }
      var it = pending()[0];
      if (!it) {
        running = false; current = null; buttons();
        var waiting = checks; checks = [];
        if (waiting.length) announce('Every file is received. Checking what we received…', true);
        Promise.all(waiting).then(finished);
        return;
      }
      uploadOne(it).then(next, next);
    };
    next();
  }

  // Every file has an answer: tell the patient and show what the center kept.
  function finished() {
    refreshOverall();
    var refused = items.filter(function (x) { return x.state === 'refused'; }).length;
    var done = items.filter(function (x) { return x.state === 'done'; }).length;
    var text = done + (done === 1 ? ' file' : ' files') + ' uploaded' +
      (refused ? '; ' + refused + (refused === 1 ? ' file was' : ' files were') + ' not accepted or not kept (see the list)' : '') + '.';
    doneNote.textContent = text + ' Loading what we received…';
    doneNote.hidden = false;
    announce(text, true);
    var x = new XMLHttpRequest();
    x.open('GET', window.location.pathname);
    x.responseType = 'document';
    x.onload = function () {
      var doc = x.response;
      if (x.status !== 200 || !doc) { doneNote.textContent = text + ' Reload this page to see what we received.'; return; }
      ['records-receipt', 'records-identity', 'records-details'].forEach(function (id) {
        var fresh = doc.getElementById(id), old = $(id);
        if (fresh && old) old.replaceWith(document.importNode(fresh, true));
      });
      var receipt = $('receipt');
      doneNote.textContent = text + ' ' + (receipt ? receipt.textContent : '');
      announce(doneNote.textContent, true);
    };
    x.onerror = function () { doneNote.textContent = text + ' Reload this page to see what we received.'; };
    x.send();
  }

  function focusIfActive(from, to) { if (document.activeElement === from) to.focus(); }
  startBtn.addEventListener('click', function () { run(); focusIfActive(startBtn, pauseBtn); });
  pauseBtn.addEventListener('click', function () {
    paused = true;
    if (current && current.xhr) current.xhr.abort();
    if (retryWait) { clearTimeout(retryWait.id); var r = retryWait.resolve; retryWait = null; r(); }
    if (current && (current.state === 'sending' || current.state === 'retrying')) setState(current, 'paused', 'paused');
    buttons();
    focusIfActive(pauseBtn, resumeBtn);
    refreshOverall();
    announce('Paused. Press Resume to continue.', true);
  });
  resumeBtn.addEventListener('click', function () {
    var wasActive = document.activeElement === resumeBtn;
    paused = false;
    if (!running) run(); // else the paused run is still unwinding and now carries on
    buttons();
    if (wasActive) pauseBtn.focus();
    announce('Resumed.', true);
  });

  function fromInput(input) {
    input.addEventListener('change', function () {
      var n = input.files.length;
      Array.prototype.forEach.call(input.files, function (f) { addFile(f, f.webkitRelativePath || f.name); });
      input.value = '';
      announce(n + (n === 1 ? ' file' : ' files') + ' added. Press Start upload.', true);
    });
  }
  fromInput($('up-files'));
  fromInput($('up-folder'));

  // drag and drop, folders included
  var drop = $('up-drop');
  function walk(entry, path) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (f) { addFile(f, path + f.name); resolve(); }, function () { resolve(); });
      } else if (entry.isDirectory) {
        var reader = entry.createReader(), all = [];
        var readMore = function () {
          reader.readEntries(function (ents) {
            if (!ents.length) {
              Promise.all(all.map(function (e) { return walk(e, path + entry.name + '/'); })).then(resolve);
              return;
            }
            all = all.concat(Array.prototype.slice.call(ents));
            readMore();
          }, function () { resolve(); });
        };
        readMore();
      } else resolve();
    });
  }
  drop.addEventListener('dragover', function (e) { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', function () { drop.classList.remove('over'); });
  drop.addEventListener('drop', function (e) {
    e.preventDefault(); drop.classList.remove('over');
    var dt = e.dataTransfer, jobs = [];
    if (dt.items && dt.items.length && dt.items[0].webkitGetAsEntry) {
      Array.prototype.forEach.call(dt.items, function (i) { var en = i.webkitGetAsEntry(); if (en) jobs.push(walk(en, '')); });
    } else {
      Array.prototype.forEach.call(dt.files, function (f) { addFile(f, f.name); });
    }
    Promise.all(jobs).then(function () { announce(pending().length + ' files ready. Press Start upload.', true); });
  });
  drop.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('up-folder').click(); }
  });

  // After a reload: uploads this browser began for this request and did not finish.
  var left = 0;
  try {
    for (var i = 0; i < localStorage.length; i++) if (localStorage.key(i).indexOf(STORE_PREFIX) === 0) left++;
  } catch (e) { /* private mode */ }
  var note = $('up-interrupted');
  if (left && note) {
    note.textContent = (left === 1 ? 'One upload' : left + ' uploads') + ' from your last visit did not finish. ' +
      'Choose the same files or folder again and press Start upload: they continue from where they stopped.';
    note.hidden = false;
  }
})();
