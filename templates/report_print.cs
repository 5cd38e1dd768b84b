<?cs include:"_report_fields.cs" ?>
<?cs include:"_print_header.cs" ?>
<?cs def:content() ?>
<article class="printable">
<?cs call:print_frame_start() ?>
<h1>Second-opinion report</h1>
<p>Request <?cs var:Case.reference ?> · Patient <?cs var:Case.patient_name ?><?cs if:Case.patient_dob ?>, born <?cs var:Case.patient_dob ?><?cs /if ?></p>
<p>First exam: <?cs if:string.length(Case.exam_facility) ?><?cs var:Case.exam_facility ?><?cs else ?>facility not given<?cs /if ?>, <?cs if:string.length(Case.exam_date) ?><?cs var:Case.exam_date ?><?cs else ?>date not given<?cs /if ?>.</p>
<?cs call:signed_report() ?>
<p class="muted">Content hash <?cs var:Report.content_hash ?></p>
<?cs call:print_frame_end() ?>
</article>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
