<?cs include:"_report_fields.cs" ?>
<?cs def:content() ?>
<article class="printable">
<h1>Second-opinion report</h1>
<p>Request <?cs var:Case.reference ?> · Patient <?cs var:Case.patient_name ?><?cs if:Case.patient_dob ?>, born <?cs var:Case.patient_dob ?><?cs /if ?></p>
<p>First exam: <?cs alt:Case.exam_facility ?>facility not given<?cs /alt ?>, <?cs alt:Case.exam_date ?>date not given<?cs /alt ?>.</p>
<?cs call:signed_report() ?>
<p class="muted">Content hash <?cs var:Report.content_hash ?></p>
</article>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
