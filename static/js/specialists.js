// Specialist directory: at most three "compare" boxes can be ticked; the
// count is announced. Without script the server refuses more than three.
(function () {
  'use strict';
  var form = document.getElementById('compare-form');
  if (!form) return;
  var max = parseInt(form.getAttribute('data-max') || '3', 10);
  var boxes = form.querySelectorAll('input.compare-box');
  var count = document.getElementById('compare-count');
  var submit = document.getElementById('compare-submit');
  var update = function () {
    var ticked = 0;
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) ticked++;
    for (var j = 0; j < boxes.length; j++) boxes[j].disabled = !boxes[j].checked && ticked >= max;
    if (count) count.textContent = ticked ? ticked + ' of ' + max + ' chosen.' : '';
    if (submit) submit.disabled = ticked < 1;
  };
  for (var i = 0; i < boxes.length; i++) boxes[i].addEventListener('change', update);
  update();
})();

// Admin import: a chosen CSV file is read here and put into the textarea
// (forms in this portal are urlencoded; the file travels as the field's text).
(function () {
  'use strict';
  var input = document.getElementById('f-file');
  if (!input || !window.FileReader) return;
  input.addEventListener('change', function () {
    var target = document.getElementById(input.getAttribute('data-target'));
    var file = input.files && input.files[0];
    if (!target || !file) return;
    var reader = new FileReader();
    reader.onload = function () { target.value = reader.result; };
    reader.readAsText(file);
  });
})();
