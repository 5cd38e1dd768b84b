<?cs include:"_macros.cs" ?>
<?cs include:"_communication_tasks.cs" ?>
<?cs include:"_identity.cs" ?>
<?cs def:from_field() ?><?cs call:csrf_field() ?><input type="hidden" name="from" value="<?cs var:Case.status ?>"><?cs /def ?>
<?cs def:content() ?>
<p><a href="/staff/queue">← Triage queue</a></p>
<h1>Request <?cs var:Case.reference ?></h1>
<p class="lead"><span class="badge status"><?cs var:Case.status_label ?></span>
  <span class="badge prio-<?cs var:Case.priority ?>"><?cs var:Case.priority_label ?></span>
  Due <?cs var:Case.due ?><?cs if:Case.overdue == "t" ?> <strong class="overdue-mark">overdue</strong><?cs /if ?><?cs if:Case.due_cannot_meet == "t" ?> <strong class="overdue-mark">cannot be met before the treatment date</strong><?cs /if ?>
  <?cs if:Case.treatment_passed == "t" ?> · <strong class="overdue-mark">treatment date has passed — confirm</strong><?cs /if ?>
  <?cs if:Case.verified != "t" ?> · <strong>first read unverified</strong><?cs /if ?>
  <?cs if:Case.claimed_by ?> · claimed by <?cs var:Case.claimed_by ?><?cs /if ?></p>
<?cs if:Case.flag_negative_screening == "t" || Case.flag_no_images == "t" || Case.flag_old_exam == "t" ?>
<div class="notice" role="note" id="eligibility"><h2>Check eligibility</h2><ul>
  <?cs if:Case.flag_negative_screening == "t" ?><li>The first read was a negative screening (BI-RADS 1 or 2): the center does not usually re-read these.</li><?cs /if ?>
  <?cs if:Case.flag_no_images == "t" ?><li>No original images (DICOM) have been received.</li><?cs /if ?>
  <?cs if:Case.flag_old_exam == "t" ?><li>The first exam is older than the center's limit.</li><?cs /if ?>
</ul><p class="hint">These rules are the center's; nothing is blocked. You decide.</p></div>
<?cs /if ?>
<?cs if:Case.review_stopped_at ?><div class="flash error" role="alert">The patient revoked the authorization on <?cs var:Case.review_stopped_at ?>: the review must stop.</div><?cs /if ?>
<?cs if:Form.ErrorCount ?><div class="flash error" role="alert"><p>Please correct the field<?cs if:Form.ErrorCount != 1 ?>s<?cs /if ?> marked below. Nothing was changed.</p></div><?cs /if ?>

<?cs call:communication_task_request() ?>
<section class="card" aria-labelledby="actions-h"><h2 id="actions-h">What you can do now</h2>
<?cs if:Offer.claim == "1" ?><form method="post" action="/staff/requests/<?cs var:Case.id ?>/claim" class="inline"><?cs call:from_field() ?><button type="submit">Claim for triage</button></form><?cs /if ?>
<?cs if:Offer.accept == "1" ?><form method="post" action="/staff/requests/<?cs var:Case.id ?>/accept" class="inline"><?cs call:from_field() ?><button type="submit">Accept</button></form><?cs /if ?>
<?cs if:Offer.resume == "1" ?><form method="post" action="/staff/requests/<?cs var:Case.id ?>/resume" class="inline"><?cs call:from_field() ?><button type="submit" class="secondary">Take back into triage</button></form><?cs /if ?>
<?cs if:Offer.start == "1" ?><form method="post" action="/staff/requests/<?cs var:Case.id ?>/start" class="inline"><?cs call:from_field() ?><button type="submit" class="secondary">Start the review</button></form><?cs /if ?>
<?cs if:Offer.release == "1" ?><form method="post" action="/staff/requests/<?cs var:Case.id ?>/release" class="inline"><?cs call:from_field() ?><button type="submit">Release the report to the patient</button></form><?cs /if ?>
<?cs if:Offer.close == "1" ?><form method="post" action="/staff/requests/<?cs var:Case.id ?>/close" class="inline"><?cs call:from_field() ?><button type="submit">Close the request</button></form><?cs /if ?>
<?cs if:Offer.askinfo == "1" ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/ask-info" id="ask-info-form"><?cs call:from_field() ?>
  <fieldset<?cs if:Form.Errors.missing ?> class="has-error"<?cs /if ?>><legend>Ask the patient for information</legend>
  <p class="hint">Tick what is missing. The patient sees exactly these items and your message.</p>
  <?cs # after a refused ask-info, the boxes as ticked; otherwise what the checklist misses ?>
  <?cs each:c = Checklist ?><div class="check"><input type="checkbox" id="m-<?cs var:c.key ?>" name="missing" value="<?cs var:c.key ?>"<?cs if:Form.Action == "ask-info" ?><?cs if:Form.Values.missing[c.key] == "1" ?> checked<?cs /if ?><?cs elif:c.state != "done" && c.need == "required" ?> checked<?cs /if ?><?cs call:field_attrs("missing", "") ?>><label for="m-<?cs var:c.key ?>"><?cs var:c.label ?></label></div><?cs /each ?>
  <div class="check"><input type="checkbox" id="m-other" name="missing" value="other"<?cs if:Form.Action == "ask-info" && Form.Values.missing.other == "1" ?> checked<?cs /if ?><?cs call:field_attrs("missing", "") ?>><label for="m-other">Something else (say what in the message)</label></div>
  <?cs call:field_error("missing") ?>
  </fieldset>
  <div class="field<?cs if:Form.Errors.message ?> has-error<?cs /if ?>"><label for="f-message">Message to the patient</label>
    <textarea id="f-message" name="message" rows="4" maxlength="2000"<?cs if:Form.Errors.message ?> aria-invalid="true" aria-describedby="message-error"<?cs /if ?>><?cs var:Form.Values.message ?></textarea><?cs call:field_error("message") ?></div>
  <button type="submit">Ask for information</button>
</form>
<?cs /if ?>
<?cs if:Offer.assign == "1" ?>
<section class="card" aria-labelledby="assign-h" id="assign"><h2 id="assign-h">Reviewing radiologist</h2>
<?cs if:Case.assigned_specialist != "" ?><p>Assigned: <strong><?cs var:Case.assigned_specialist ?></strong> (reviewer account: <?cs var:Case.assigned_reviewer ?>)<?cs if:Case.assignment_reason != "" ?>. Why not the patient's choice: <?cs var:Case.assignment_reason ?><?cs /if ?></p><?cs /if ?>
<?cs if:Case.ChosenAssignable == "1" && Case.assigned_specialist_id != Case.specialist_id ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/assign" id="assign-chosen"><?cs call:from_field() ?>
  <input type="hidden" name="specialist" value="<?cs var:Case.specialist_id ?>">
  <p>The patient chose <strong><?cs var:Case.chosen_specialist ?></strong>.</p>
  <button type="submit">Assign <?cs var:Case.chosen_specialist ?>, the patient's choice</button>
</form>
<?cs elif:Case.chosen_specialist != "" && Case.ChosenAssignable != "1" ?>
<p class="notice" role="note">The patient chose <strong><?cs var:Case.chosen_specialist ?></strong>, who has no active reviewer account yet: an admin can link or invite them in the specialist directory. Assigning someone else needs a reason the patient reads.</p>
<?cs /if ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/assign" id="assign-other"><?cs call:from_field() ?>
  <div class="field<?cs if:Form.Errors.specialist ?> has-error<?cs /if ?>"><label for="f-specialist"><?cs if:Case.chosen_specialist != "" ?>Or assign another specialist<?cs else ?>Specialist<?cs /if ?></label>
  <p class="hint">Only active specialists with a reviewer account are listed.<?cs if:Case.center_chooses == "t" ?> The patient let the center choose.<?cs /if ?></p>
  <select id="f-specialist" name="specialist"<?cs if:Form.Errors.specialist ?> aria-invalid="true" aria-describedby="specialist-error"<?cs /if ?>><option value="">Choose…</option>
    <?cs each:s = Assignable ?><option value="<?cs var:s.id ?>"<?cs if:s.id == AssignSelected ?> selected<?cs /if ?>><?cs var:s.full_name ?> (reviewer account: <?cs var:s.reviewer_name ?>)</option><?cs /each ?>
  </select><?cs call:field_error("specialist") ?></div>
  <?cs if:Case.chosen_specialist != "" ?>
  <div class="field<?cs if:Form.Errors.assign_reason ?> has-error<?cs /if ?>"><label for="f-assign_reason">Why not <?cs var:Case.chosen_specialist ?>? (the patient reads this)</label>
  <textarea id="f-assign_reason" name="assign_reason" rows="2" maxlength="1000"<?cs if:Form.Errors.assign_reason ?> aria-invalid="true" aria-describedby="assign_reason-error"<?cs /if ?>><?cs var:Form.Values.assign_reason ?></textarea><?cs call:field_error("assign_reason") ?></div>
  <?cs /if ?>
  <button type="submit"<?cs if:Case.ChosenAssignable == "1" ?> class="secondary"<?cs /if ?>>Assign</button>
</form>
</section>
<?cs /if ?>
<?cs if:Offer.schedule == "1" ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/schedule"><?cs call:from_field() ?>
  <fieldset><legend>Schedule an in-person consultation</legend>
  <?cs call:text_field("date", "Date", "date", "off", "YYYY-MM-DD") ?>
  <?cs call:text_field("time", "Time", "time", "off", "24-hour clock, in your own time zone (as on your account page)") ?>
  <?cs call:text_field("place", "Place", "text", "off", "Building, floor, room") ?>
  </fieldset>
  <button type="submit">Schedule</button>
</form>
<?cs /if ?>
<?cs if:Offer.decline == "1" ?>
<details<?cs if:Form.Errors.reason ?> open<?cs /if ?>><summary>Decline this request</summary>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/decline"><?cs call:from_field() ?>
  <div class="field<?cs if:Form.Errors.reason ?> has-error<?cs /if ?>"><label for="f-reason">Reason (the patient reads it)</label>
  <textarea id="f-reason" name="reason" rows="3" maxlength="2000"<?cs call:field_attrs("reason", "") ?>><?cs var:Form.Values.reason ?></textarea><?cs call:field_error("reason") ?></div>
  <button type="submit" class="danger">Decline</button>
</form></details>
<?cs /if ?>
<?cs if:Report.Exists == "1" ?><p>Report: <?cs if:Report.Signed == "1" ?>signed<?cs if:Report.Released == "1" ?> and released to the patient<?cs /if ?> — <a href="/reviewer/cases/<?cs var:Case.id ?>/report/print">printable report</a><?cs else ?>draft in progress<?cs /if ?>.</p><?cs /if ?>
<?cs if:Consult.starts_at ?><p>Consultation: <?cs var:Consult.starts_at ?>, <?cs var:Consult.place ?> (<a href="/requests/<?cs var:Case.id ?>/consultation.ics">calendar file</a>).</p><?cs /if ?>
</section>

<?cs include:"_first_read.cs" ?>
<section class="card" aria-labelledby="answers-h"><h2 id="answers-h">The patient's answers</h2>
<dl class="facts">
  <dt>Patient</dt><dd><?cs var:Case.patient_name ?> (born <?cs if:string.length(Case.patient_dob) ?><?cs var:Case.patient_dob ?><?cs else ?>not given<?cs /if ?>)<?cs if:Case.caregiver_name ?>, filled in by <?cs var:Case.caregiver_name ?> (<?cs var:Case.caregiver_relationship ?>)<?cs /if ?></dd>
  <dt>First exam</dt><dd><?cs if:string.length(Case.exam_facility) ?><?cs var:Case.exam_facility ?><?cs else ?>not given<?cs /if ?>, <?cs if:string.length(Case.exam_date) ?><?cs var:Case.exam_date ?><?cs else ?>date not given<?cs /if ?> (<?cs var:Case.exam_types_text ?>)</dd>
  <dt>Records contact</dt><dd><?cs if:string.length(Case.records_contact) ?><?cs var:Case.records_contact ?><?cs else ?>not given<?cs /if ?></dd>
  <dt>BI-RADS on the first report</dt><dd id="case-first-birads"><?cs var:Case.BiradsLabel ?> — <?cs var:Case.BiradsWords ?></dd>
  <dt>Biopsy done</dt><dd><?cs if:Case.biopsy_done == "true" ?>Yes<?cs elif:Case.biopsy_done == "false" ?>No<?cs else ?>Not answered<?cs /if ?></dd>
  <dt>Treatment scheduled</dt><dd><?cs if:string.length(Case.treatment_date) ?><?cs var:Case.treatment_date ?><?cs else ?>none<?cs /if ?></dd>
  <dt>Earlier exams</dt><dd><?cs if:string.length(Case.prior_exam_dates) ?><?cs var:Case.prior_exam_dates ?><?cs else ?>none given<?cs /if ?></dd>
  <dt>Why a second opinion</dt><dd class="pre"><?cs if:string.length(Case.reason) ?><?cs var:Case.reason ?><?cs else ?>not given<?cs /if ?></dd>
  <dt>Review</dt><dd><?cs if:Case.review_type == "reread" ?>a written second reading of the images<?cs elif:Case.review_type == "consult" ?>a full consultation<?cs elif:string.length(Case.review_type) ?><?cs var:Case.review_type ?><?cs else ?>not chosen<?cs /if ?>, <?cs if:Case.review_mode == "remote" ?>remote (images sent to the specialist)<?cs elif:Case.review_mode == "in_person" ?>in person (the patient visits)<?cs elif:string.length(Case.review_mode) ?><?cs var:Case.review_mode ?><?cs else ?>mode not chosen<?cs /if ?></dd>
  <dt>Submitted</dt><dd><?cs var:Case.submitted_at ?></dd>
</dl>
<?cs if:subcount(Case.Questions) ?><h3>The patient's questions</h3><ol><?cs each:qq = Case.Questions ?><li><?cs var:qq ?></li><?cs /each ?></ol><?cs /if ?>
</section>

<section class="card" aria-labelledby="checklist-h"><h2 id="checklist-h">Completeness</h2>
<ul class="checklist"><?cs each:c = Checklist ?><li class="cl-<?cs var:c.state ?>"><strong><?cs var:c.label ?></strong> — <?cs var:c.need ?>, <?cs var:c.state ?>. <span class="muted"><?cs var:c.note ?></span></li><?cs /each ?></ul>
</section>

<?cs call:identity_check("center") ?>
<section class="card" aria-labelledby="records-h"><h2 id="records-h">Records</h2>
<?cs if:Records.Summary ?><p><?cs var:Records.Summary ?></p><?cs /if ?>
<?cs if:subcount(Records.Failed) ?><h3 id="staff-failed-h">Files not kept</h3><ul class="failed-uploads" aria-labelledby="staff-failed-h">
<?cs each:f = Records.Failed ?><li><?cs var:f.name ?> — not kept: <?cs var:f.reason ?></li><?cs /each ?></ul><?cs /if ?>
<?cs if:subcount(Records.Checking) ?><p class="notice">Still being checked: <?cs each:f = Records.Checking ?><?cs var:f.name ?><?cs if:!last(f) ?>, <?cs /if ?><?cs /each ?>.</p><?cs /if ?>
<?cs each:w = Warnings ?><p class="<?cs if:w.wrong_patient == "1" ?>flash error wrong-patient<?cs else ?>notice<?cs /if ?>" role="<?cs if:w.wrong_patient == "1" ?>alert<?cs else ?>note<?cs /if ?>"><?cs var:w.text ?></p><?cs /each ?>
<p><?cs if:subcount(Studies) ?><a class="button" href="/staff/requests/<?cs var:Case.id ?>/images">View the images</a> <?cs /if ?><a class="button" href="/requests/<?cs var:Case.id ?>/records.zip">Download the whole request (ZIP)</a></p>
<?cs if:subcount(Studies) ?>
<div class="table-scroll"><table><caption>Image studies</caption>
<thead><tr><th scope="col">Date</th><th scope="col">Description</th><th scope="col">Modalities</th><th scope="col">Series</th><th scope="col">Images</th><th scope="col">Name in the images</th></tr></thead><tbody>
<?cs each:s = Studies ?><tr<?cs if:s.wrong_patient == "1" ?> class="wrong-patient"<?cs /if ?>><td><?cs var:s.study_date ?></td><td><?cs var:s.description ?> <a href="/requests/<?cs var:Case.id ?>/studies/<?cs var:s.id ?>/records.zip">Download this study (ZIP)<span class="visually-hidden"> of <?cs var:s.study_date ?></span></a></td><td><?cs var:s.modalities ?></td><td><?cs var:s.series ?></td><td><?cs var:s.images ?><?cs if:s.incomplete != "0" ?> <strong class="incomplete">(<?cs var:s.incomplete ?> with incomplete image data)</strong><?cs /if ?></td><td><?cs var:s.patient_name ?> <?cs var:s.patient_birth_date ?><?cs if:s.wrong_patient == "1" ?> <strong>does not match the patient</strong><?cs /if ?></td></tr><?cs /each ?>
</tbody></table></div>
<?cs /if ?>
<?cs if:subcount(Documents) ?><h3>Documents</h3><ul>
<?cs each:d = Documents ?><li><?cs if:d.skipped == "t" ?><?cs var:d.original_name ?> — <?cs if:d.refused == "t" ?>refused<?cs else ?>skipped<?cs /if ?>: <?cs var:d.skip_reason ?><?cs else ?><a href="/requests/<?cs var:Case.id ?>/documents/<?cs var:d.id ?>/download"><?cs var:d.original_name ?></a> (<?cs var:d.kind_label ?>, <?cs var:d.sniffed_type ?>)<?cs if:d.active_content != "" ?> <strong class="warning">Warning: this PDF contains active content (<?cs var:d.active_content ?>); open it only in a safe viewer.</strong><?cs /if ?><?cs /if ?></li><?cs /each ?>
</ul><?cs /if ?>
</section>

<?cs include:"_pacs_send.cs" ?>

<section class="card" aria-labelledby="auth-h"><h2 id="auth-h">Authorization</h2>
<?cs if:Case.auth_signed_name ?><p>Signed in the portal by <?cs var:Case.auth_signed_name ?><?cs if:?Auth.SignerRelationship ?>, in the signer's own name, as the patient's <?cs var:Auth.SignerRelationship ?> (<?cs var:Auth.SignerAuthority ?>)<?cs /if ?> on <?cs var:Case.auth_signed_at ?>.</p>
<?cs elif:Case.auth_document_id != "0" ?><p>A signed paper form was uploaded (<a href="/requests/<?cs var:Case.id ?>/documents/<?cs var:Case.auth_document_id ?>/download">open it</a>).</p>
<?cs else ?><p><strong>No authorization in force.</strong><?cs if:Case.auth_revoked == "t" ?> The patient revoked it.<?cs /if ?></p><?cs /if ?>
</section>

<?cs if:?Authority.Name ?>
<section class="card cg-authority" aria-labelledby="authority-h"><h2 id="authority-h">Someone acts for the patient</h2>
<p><strong><?cs var:Authority.Name ?></strong>, the patient's <?cs var:Authority.Relationship ?>, acts for the patient as <strong><?cs var:Authority.Kind ?></strong>. The patient has no account of their own.</p>
<?cs if:Authority.State == "ended" ?><p><strong>The center ended this person's authority to act</strong>: <?cs var:Authority.Reason ?> They no longer see or change anything of the patient's.</p>
<?cs elif:Authority.State == "missing" ?><p>No authority document has been uploaded yet.</p>
<?cs else ?>
<p><a href="/requests/<?cs var:Authority.DocumentRequest ?>/documents/<?cs var:Authority.Document ?>/download">Open the authority document</a>.
<?cs if:Authority.State == "verified" ?> You verified it.<?cs elif:Authority.State == "refused" ?> You did not accept it: <?cs var:Authority.Reason ?><?cs else ?> <strong>Not checked yet.</strong><?cs /if ?></p>
<?cs /if ?>
<?cs if:?Authority.BlocksAccept ?><p class="hint">The request can be accepted once the authority document is verified.</p><?cs /if ?>
<?cs call:field_error("authority_reason") ?>
<?cs if:Authority.State == "pending" || Authority.State == "refused" ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/authority">
  <?cs call:csrf_field() ?>
  <input type="hidden" name="document" value="<?cs var:Authority.Document ?>">
  <input type="hidden" name="decision" value="verify">
  <button type="submit">The document gives this authority: verify</button>
</form>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/authority" novalidate>
  <?cs call:csrf_field() ?>
  <input type="hidden" name="document" value="<?cs var:Authority.Document ?>">
  <input type="hidden" name="decision" value="refuse">
  <div class="field<?cs if:Form.Errors.authority_reason ?> has-error<?cs /if ?>">
    <label for="f-authority-reason">Why the document is not accepted (the representative reads this)</label>
    <textarea id="f-authority-reason" name="reason" rows="3"<?cs if:Form.Errors.authority_reason ?> aria-invalid="true" aria-describedby="authority_reason-error"<?cs /if ?>><?cs var:Form.Values.authority_reason ?></textarea>
  </div>
  <button type="submit" class="secondary">Do not accept the document</button>
</form>
<?cs /if ?>
<?cs if:Authority.State != "ended" ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/representative/end" novalidate>
  <?cs call:csrf_field() ?>
  <input type="hidden" name="link" value="<?cs var:Authority.Link ?>">
  <div class="field<?cs if:Form.Errors.end_reason ?> has-error<?cs /if ?>">
    <label for="f-end-reason">End this person's authority to act, because (for example, the authority was withdrawn)</label>
    <p class="hint">They lose access to the patient's requests at once.</p>
    <textarea id="f-end-reason" name="end_reason" rows="3" maxlength="1000"<?cs if:Form.Errors.end_reason ?> aria-invalid="true" aria-describedby="end_reason-error"<?cs /if ?>><?cs var:Form.Values.end_reason ?></textarea><?cs call:field_error("end_reason") ?>
  </div>
  <button type="submit" class="secondary">End their authority to act</button>
</form>
<?cs /if ?>
</section>
<?cs /if ?>

<section class="card" aria-labelledby="coverage-h"><h2 id="coverage-h">Coverage</h2>
<p>Payment: <?cs if:Case.payment == "insurance" ?>insurance<?cs elif:Case.payment == "self_pay" ?>paying themselves<?cs elif:string.length(Case.payment) ?><?cs var:Case.payment ?><?cs else ?>not chosen<?cs /if ?><?cs if:Case.insurance_plan ?>, plan <?cs var:Case.insurance_plan ?><?cs /if ?><?cs if:Case.plan_needs_referral == "true" ?>, the plan needs a referral<?cs /if ?>.</p>
<?cs if:Offer.coverage == "1" ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/coverage"><?cs call:from_field() ?>
  <?cs # after a refused coverage form, what was typed; otherwise what is stored ?>
  <?cs if:Form.Action == "coverage" ?><?cs set:Cov.iv = Form.Values.insurance_verified == "yes" ?><?cs set:Cov.rr = Form.Values.referral_received == "yes" ?><?cs set:Cov.ns = Form.Values.network_status ?><?cs set:Cov.notes = Form.Values.coverage_notes ?>
  <?cs else ?><?cs set:Cov.iv = Case.insurance_verified == "t" ?><?cs set:Cov.rr = Case.referral_received == "t" ?><?cs set:Cov.ns = Case.network_status ?><?cs set:Cov.notes = Case.coverage_notes ?><?cs /if ?>
  <div class="check"><input type="checkbox" id="f-iv" name="insurance_verified" value="yes"<?cs if:Cov.iv == "1" ?> checked<?cs /if ?>><label for="f-iv">Insurance verified</label></div>
  <div class="check"><input type="checkbox" id="f-rr" name="referral_received" value="yes"<?cs if:Cov.rr == "1" ?> checked<?cs /if ?>><label for="f-rr">Referral received</label></div>
  <div class="field<?cs if:Form.Errors.network_status ?> has-error<?cs /if ?>"><label for="f-network_status">Network status</label>
  <select id="f-network_status" name="network_status"<?cs call:field_attrs("network_status", "") ?>>
    <option value="unknown"<?cs if:Cov.ns == "unknown" ?> selected<?cs /if ?>>Not checked yet</option>
    <option value="in_network"<?cs if:Cov.ns == "in_network" ?> selected<?cs /if ?>>In network</option>
    <option value="out_of_network"<?cs if:Cov.ns == "out_of_network" ?> selected<?cs /if ?>>Out of network</option>
    <option value="self_pay"<?cs if:Cov.ns == "self_pay" ?> selected<?cs /if ?>>Self-pay</option>
  </select><?cs call:field_error("network_status") ?></div>
  <div class="field<?cs if:Form.Errors.coverage_notes ?> has-error<?cs /if ?>"><label for="f-coverage_notes">Notes (internal)</label><textarea id="f-coverage_notes" name="coverage_notes" rows="2" maxlength="2000"<?cs call:field_attrs("coverage_notes", "") ?>><?cs var:Cov.notes ?></textarea><?cs call:field_error("coverage_notes") ?></div>
  <button type="submit" class="secondary">Save coverage</button>
</form>
<?cs else ?><p>Insurance verified: <?cs if:Case.insurance_verified == "t" ?>yes<?cs else ?>no<?cs /if ?>; referral received: <?cs if:Case.referral_received == "t" ?>yes<?cs else ?>no<?cs /if ?>; network: <?cs if:Case.network_status == "in_network" ?>in network<?cs elif:Case.network_status == "out_of_network" ?>out of network<?cs elif:Case.network_status == "self_pay" ?>self-pay<?cs elif:Case.network_status == "unknown" || !string.length(Case.network_status) ?>not known<?cs else ?><?cs var:Case.network_status ?><?cs /if ?>.</p><?cs /if ?>
</section>

<section class="card" aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>
<ol class="timeline"><?cs each:ev = Events ?><li<?cs if:ev.internal == "t" ?> class="internal"<?cs /if ?>><time><?cs var:ev.at ?></time> — <?cs if:ev.kind == "status" ?><?cs var:ev.to_label ?><?cs else ?><?cs var:ev.kind_label ?><?cs /if ?><?cs if:ev.actor ?> (<?cs var:ev.actor ?>)<?cs /if ?><?cs if:ev.internal == "t" ?> <span class="badge">staff only</span><?cs /if ?><?cs if:ev.detail ?><?cs with:d = ev.Detail ?><?cs if:d.what ?>: <?cs var:d.what ?><?cs /if ?><?cs if:d.reviewer ?> — <?cs var:d.reviewer ?><?cs /if ?><?cs if:d.consult ?> — consultation on <?cs var:d.consult ?><?cs /if ?><?cs if:d.documents ?> — <?cs var:d.documents ?> document<?cs if:d.documents != "1" ?>s<?cs /if ?> copied<?cs /if ?>
  <?cs if:subcount(d.Missing) ?><p class="detail">Asked the patient for:</p><ul class="detail"><?cs each:m = d.Missing ?><li><?cs var:m ?></li><?cs /each ?></ul><?cs /if ?>
  <?cs if:d.message ?><p class="detail pre">Message to the patient: <?cs var:d.message ?></p><?cs /if ?>
  <?cs if:d.reason ?><p class="detail pre">Reason: <?cs var:d.reason ?></p><?cs /if ?>
  <?cs if:subcount(d.Other) ?><ul class="detail"><?cs each:o = d.Other ?><li><?cs var:o.name ?>: <?cs var:o.value ?></li><?cs /each ?></ul><?cs /if ?><?cs /with ?><?cs /if ?></li><?cs /each ?></ol>
</section>

<section class="card" aria-labelledby="thread-h" id="thread"><h2 id="thread-h">Messages and internal notes<?cs if:Thread.Unread != "0" && ?Thread.Unread ?> <span class="badge unread"><?cs var:Thread.Unread ?> new</span><?cs /if ?></h2>
<?cs if:subcount(Thread.Items) ?><ol class="thread"><?cs each:m = Thread.Items ?><li class="<?cs if:m.internal == "1" ?>internal-note<?cs else ?>message<?cs /if ?><?cs if:m.new == "1" ?> unread<?cs /if ?>"><p class="muted"><?cs var:m.author ?> (<?cs var:m.role ?>), <?cs var:m.at ?><?cs if:m.new == "1" ?> <strong class="badge unread">new</strong><?cs /if ?><?cs if:m.internal == "1" ?> — <strong>internal note, never shown to the patient</strong><?cs /if ?></p><p class="pre"><?cs var:m.body ?></p></li><?cs /each ?></ol><?cs else ?><p>No messages yet.</p><?cs /if ?>
<?cs if:Offer.reply == "1" ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/reply" id="reply-form"><?cs call:from_field() ?>
  <div class="field<?cs if:Form.Errors.reply ?> has-error<?cs /if ?>"><label for="f-reply">Answer the patient</label>
  <p class="hint">The patient reads this in the portal; their e-mail only says there is a new message.</p>
  <textarea id="f-reply" name="reply" rows="4" maxlength="5000"<?cs if:Form.Errors.reply ?> aria-invalid="true" aria-describedby="reply-error"<?cs /if ?>><?cs var:Form.Values.reply ?></textarea><?cs call:field_error("reply") ?></div>
  <button type="submit">Send to the patient</button>
</form>
<?cs /if ?>
<?cs if:Offer.note == "1" ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/note"><?cs call:from_field() ?>
  <?cs if:Form.Action != "communication" ?>
  <div class="field<?cs if:Form.Errors.note ?> has-error<?cs /if ?>"><label for="f-note">Internal note (staff and reviewers only)</label>
  <textarea id="f-note" name="note" rows="3" maxlength="4000"<?cs if:Form.Errors.note ?> aria-invalid="true" aria-describedby="note-error"<?cs /if ?>><?cs var:Form.Values.note ?></textarea><?cs call:field_error("note") ?></div>
  <?cs else ?>
  <div class="field"><label for="f-note">Internal note (staff and reviewers only)</label>
  <textarea id="f-note" name="note" rows="3" maxlength="4000"></textarea></div>
  <?cs /if ?>
  <button type="submit" class="secondary">Add internal note</button>
</form>
<?cs /if ?>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
