<?cs # The header of a printed page (routes/print_view.c): the center, the patient, the reference.
     Shown on paper (static/css/site.css @media print); on screen it stays hidden. ?>
<?cs def:print_header() ?>
<div class="print-header">
  <p class="print-center"><strong><?cs if:string.length(Print.CenterName) ?><?cs var:Print.CenterName ?><?cs else ?>Breast center (its name is not set yet)<?cs /if ?></strong><?cs each:line = Print.CenterAddress ?><br><?cs var:line ?><?cs /each ?></p>
  <dl class="print-patient">
    <div><dt>Patient</dt><dd><?cs var:Print.PatientName ?></dd></div>
    <div><dt>Date of birth</dt><dd><?cs if:string.length(Print.BirthDate) ?><?cs var:Print.BirthDate ?><?cs else ?>not given<?cs /if ?></dd></div>
    <div><dt>Reference</dt><dd><?cs var:Print.Reference ?></dd></div>
  </dl>
</div>
<?cs /def ?>
