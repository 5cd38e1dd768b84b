<?cs # The header of a printed page (routes/print_view.c): the center, the patient, the reference.
     print_frame_start()/print_frame_end() wrap a page's printable content in a layout table
     (role="presentation") whose head is this header: on paper Chromium repeats a table's head at
     the top of every page (CSS tables and running elements are not repeated). On screen the frame
     is plain blocks and the header stays hidden (static/css/site.css). ?>
<?cs def:print_header() ?>
<div class="print-header"><div class="print-header-in">
  <p class="print-center"><strong><?cs if:string.length(Print.CenterName) ?><?cs var:Print.CenterName ?><?cs else ?>Breast center (its name is not set yet)<?cs /if ?></strong><?cs each:line = Print.CenterAddress ?><br><?cs var:line ?><?cs /each ?></p>
  <dl class="print-patient">
    <div><dt>Patient</dt><dd><?cs var:Print.PatientName ?></dd></div>
    <div><dt>Date of birth</dt><dd><?cs if:string.length(Print.BirthDate) ?><?cs var:Print.BirthDate ?><?cs else ?>not given<?cs /if ?></dd></div>
    <div><dt>Reference</dt><dd><?cs var:Print.Reference ?></dd></div>
  </dl>
</div></div>
<?cs /def ?>
<?cs def:print_frame_start() ?><table class="print-frame keep-grid" role="presentation"><thead><tr><td><?cs call:print_header() ?></td></tr></thead><tbody><tr><td><?cs /def ?>
<?cs def:print_frame_end() ?></td></tr></tbody></table><?cs /def ?>
