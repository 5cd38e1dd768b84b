<?cs include:"_macros.cs" ?>
<?cs include:"_identity.cs" ?>
<?cs include:"_report_fields.cs" ?>
<?cs def:opt(name, value, label) ?><option value="<?cs var:value ?>"<?cs if:Form.Values[name] == value ?> selected<?cs /if ?>><?cs var:label ?></option><?cs /def ?>
<?cs def:area(name, label, rows, hint) ?>
<div class="field<?cs if:Form.Errors[name] ?> has-error<?cs /if ?>"><label for="f-<?cs var:name ?>"><?cs var:label ?></label>
<?cs if:hint ?><p class="hint"><?cs var:hint ?></p><?cs /if ?>
<textarea id="f-<?cs var:name ?>" name="<?cs var:name ?>" rows="<?cs var:rows ?>"<?cs if:Form.Errors[name] ?> aria-invalid="true" aria-describedby="<?cs var:name ?>-error"<?cs /if ?>><?cs var:Form.Values[name] ?></textarea><?cs call:field_error(name) ?></div>
<?cs /def ?>
<?cs def:content() ?>
<p><a href="/reviewer/cases">← My cases</a></p>
<h1>Case <?cs var:Case.reference ?></h1>
<p class="lead"><span class="badge status"><?cs var:Case.status_label ?></span> Due <?cs var:Case.due ?><?cs if:Case.overdue == "t" ?> <strong class="overdue-mark">overdue</strong><?cs /if ?><?cs if:Case.due_cannot_meet == "t" ?> <strong class="overdue-mark">cannot be met before the treatment date</strong><?cs /if ?><?cs if:Case.treatment_date != "" ?> · Treatment date <?cs var:Case.treatment_date ?><?cs if:Case.treatment_passed == "t" ?> <strong class="overdue-mark">treatment date has passed — confirm</strong><?cs /if ?><?cs /if ?><?cs if:Case.verified != "t" ?> · <strong>first read unverified</strong><?cs /if ?></p>
<?cs if:Case.review_stopped_at ?><div class="flash error" role="alert">The patient revoked the authorization: stop the review.</div><?cs /if ?>
<?cs if:Form.ErrorCount ?><div class="flash error" role="alert"><p>Please correct the field<?cs if:Form.ErrorCount != 1 ?>s<?cs /if ?> marked below. <?cs if:Form.Context == "thread" ?>Nothing was sent.<?cs else ?>Nothing was signed.<?cs /if ?></p></div><?cs /if ?>

<section class="card" aria-labelledby="exam-h"><h2 id="exam-h">The first exam</h2>
<dl class="facts">
  <dt>Facility</dt><dd><?cs if:string.length(Case.exam_facility) ?><?cs var:Case.exam_facility ?><?cs else ?>not given<?cs /if ?>, <?cs if:string.length(Case.exam_date) ?><?cs var:Case.exam_date ?><?cs else ?>date not given<?cs /if ?></dd>
  <dt>Exam types</dt><dd><?cs if:string.length(Case.exam_types) ?><?cs var:Case.exam_types ?><?cs else ?>not given<?cs /if ?></dd>
  <dt>Original BI-RADS (as the patient told us)</dt><dd id="case-first-birads"><?cs var:Case.BiradsLabel ?> — <?cs var:Case.BiradsWords ?> (implied next step: <?cs var:Case.implied_recommendation ?>)</dd>
  <dt>Biopsy</dt><dd><?cs if:Case.biopsy_done == "true" ?>Yes — see the pathology report below<?cs elif:Case.biopsy_done == "false" ?>No<?cs else ?>Not answered<?cs /if ?></dd>
  <dt>Earlier exams</dt><dd><?cs if:string.length(Case.prior_exam_dates) ?><?cs var:Case.prior_exam_dates ?><?cs else ?>none given<?cs /if ?></dd>
  <dt>Why a second opinion</dt><dd class="pre"><?cs if:string.length(Case.reason) ?><?cs var:Case.reason ?><?cs else ?>not given<?cs /if ?></dd>
</dl>
<?cs if:subcount(Case.Questions) ?><h3>The patient's questions</h3><ol><?cs each:qq = Case.Questions ?><li><?cs var:qq ?></li><?cs /each ?></ol><?cs /if ?>
</section>

<?cs call:identity_check("center") ?>
<?cs include:"_first_read.cs" ?>

<section class="card" aria-labelledby="rec-h"><h2 id="rec-h">Images and documents</h2>
<p><?cs if:subcount(Studies) ?><a class="button" href="/reviewer/cases/<?cs var:Case.id ?>/images">View the images</a> <?cs /if ?><a class="button" href="/requests/<?cs var:Case.id ?>/records.zip">Download everything (ZIP)</a></p>
<?cs if:subcount(Studies) ?><ul><?cs each:s = Studies ?><li>Study of <?cs var:s.study_date ?>: <?cs if:string.length(s.description) ?><?cs var:s.description ?><?cs else ?>no description<?cs /if ?>, <?cs var:s.modalities ?>, <?cs var:s.series ?> series, <?cs var:s.images ?> images<?cs if:s.incomplete != "0" ?> — <strong class="incomplete"><?cs var:s.incomplete ?> with incomplete image data</strong><?cs /if ?> — <a href="/requests/<?cs var:Case.id ?>/studies/<?cs var:s.id ?>/records.zip">download this study (ZIP)<span class="visually-hidden"> of <?cs var:s.study_date ?></span></a></li><?cs /each ?></ul><?cs else ?><p>No image studies.</p><?cs /if ?>
<?cs if:subcount(Documents) ?><h3>Reports and other documents</h3><ul><?cs each:d = Documents ?><?cs if:d.skipped != "t" ?><li><a href="/requests/<?cs var:Case.id ?>/documents/<?cs var:d.id ?>/download"><?cs var:d.original_name ?></a> — <?cs var:d.kind_label ?><?cs if:d.active_content != "" ?> <strong class="warning">Warning: this PDF contains active content (<?cs var:d.active_content ?>); open it only in a safe viewer.</strong><?cs /if ?></li><?cs /if ?><?cs /each ?></ul><?cs /if ?>
</section>

<?cs include:"_pacs_send.cs" ?>

<?cs if:Case.CanStart ?>
<form method="post" action="/reviewer/cases/<?cs var:Case.id ?>/start" class="card"><?cs call:csrf_field() ?><input type="hidden" name="from" value="<?cs var:Case.status ?>">
<p>Start the review when you begin reading. The patient sees that the review is under way.</p><button type="submit">Start the review</button></form>
<?cs /if ?>

<?cs if:Report.Signed == "1" ?>
<section class="card" aria-labelledby="report-h"><h2 id="report-h">Signed report</h2>
<?cs call:signed_report() ?>
<p><a href="/reviewer/cases/<?cs var:Case.id ?>/report/print">Printable report for the referring physician</a></p>
<p class="muted">Content hash <?cs var:Report.content_hash ?>. A signed report never changes; add an addendum for corrections or answers.</p>
</section>
<section class="card" aria-labelledby="add-h"><h2 id="add-h">Add an addendum</h2>
<form method="post" action="/reviewer/cases/<?cs var:Case.id ?>/addenda"><?cs call:csrf_field() ?>
  <?cs if:subcount(Questions) ?><div class="field<?cs if:Form.Errors.question_id ?> has-error<?cs /if ?>"><label for="f-question_id">Answers the patient's question</label>
  <select id="f-question_id" name="question_id"<?cs call:field_attrs("question_id", "") ?>><option value="">No: a correction or addition</option>
  <?cs each:qq = Questions ?><?cs if:qq.addendum_id == "0" ?><option value="<?cs var:qq.id ?>"<?cs if:Form.Values.question_id == qq.id ?> selected<?cs /if ?>><?cs var:qq.question ?></option><?cs /if ?><?cs /each ?></select><?cs call:field_error("question_id") ?></div><?cs /if ?>
  <?cs call:area("body", "Addendum", "5", "") ?>
  <?cs call:text_field("credential", "Your password or a code from your authenticator app", "password", "current-password", "Signing needs you to confirm who you are.") ?>
  <button type="submit">Sign and add</button>
</form></section>
<?cs elif:Case.InReview ?>
<section class="card" aria-labelledby="form-h"><h2 id="form-h">Structured report</h2>
<?cs if:Report.Exists == "1" ?><p class="muted">Draft last saved <?cs var:Report.updated_at ?>.</p><?cs /if ?>
<form method="post" action="/reviewer/cases/<?cs var:Case.id ?>/report" id="report-form" novalidate><?cs call:csrf_field() ?>
  <fieldset><legend>Findings</legend>
  <?cs call:area("findings_left", "Left breast", "4", "") ?>
  <?cs call:area("findings_right", "Right breast", "4", "") ?>
  </fieldset>
  <div class="field<?cs if:Form.Errors.birads ?> has-error<?cs /if ?>"><label for="f-birads">BI-RADS assessment</label>
  <select id="f-birads" name="birads"<?cs call:field_attrs("birads", "") ?>><?cs call:opt("birads", "", "Choose…") ?><?cs call:opt("birads", "0", "0 — incomplete, needs more imaging") ?><?cs call:opt("birads", "1", "1 — negative") ?><?cs call:opt("birads", "2", "2 — benign") ?><?cs call:opt("birads", "3", "3 — probably benign") ?><?cs call:opt("birads", "4A", "4A — low suspicion") ?><?cs call:opt("birads", "4B", "4B — moderate suspicion") ?><?cs call:opt("birads", "4C", "4C — high suspicion") ?><?cs call:opt("birads", "5", "5 — highly suggestive of malignancy") ?><?cs call:opt("birads", "6", "6 — known biopsy-proven malignancy") ?></select><?cs call:field_error("birads") ?></div>
  <div class="field<?cs if:Form.Errors.density ?> has-error<?cs /if ?>"><label for="f-density">Breast density</label>
  <select id="f-density" name="density"<?cs call:field_attrs("density", "") ?>><?cs call:opt("density", "", "Choose…") ?><?cs call:opt("density", "A", "A — almost entirely fatty") ?><?cs call:opt("density", "B", "B — scattered fibroglandular density") ?><?cs call:opt("density", "C", "C — heterogeneously dense") ?><?cs call:opt("density", "D", "D — extremely dense") ?></select><?cs call:field_error("density") ?></div>
  <div class="field<?cs if:Form.Errors.recommendation ?> has-error<?cs /if ?>"><label for="f-recommendation">Recommendation</label>
  <select id="f-recommendation" name="recommendation"<?cs call:field_attrs("recommendation", "") ?>><?cs call:opt("recommendation", "", "Choose…") ?><?cs each:o = Recommendations ?><?cs call:opt("recommendation", o.Key, o.Label) ?><?cs /each ?></select><?cs call:field_error("recommendation") ?></div>
  <div class="field<?cs if:Form.Errors.first_recommendation ?> has-error<?cs /if ?>"><label for="f-first_recommendation">The first read's recommended next step</label>
  <p class="hint">From the original report. Leave it to follow from the original category (<?cs var:Case.implied_recommendation ?>).</p>
  <select id="f-first_recommendation" name="first_recommendation"<?cs call:field_attrs("first_recommendation", "") ?>><?cs call:opt("first_recommendation", "", "As implied by its category") ?><?cs each:o = Recommendations ?><?cs call:opt("first_recommendation", o.Key, o.Label) ?><?cs /each ?></select><?cs call:field_error("first_recommendation") ?></div>
  <?cs call:area("contradiction_reason", "Why the category and the recommendation differ", "3", "Needed only when the BI-RADS category and the recommendation point to different next steps (for example BI-RADS 5 with routine screening). The referring physician reads it.") ?>
  <section class="notice" id="verdict-preview" aria-live="polite" aria-labelledby="preview-h"
    data-url="/reviewer/cases/<?cs var:Case.id ?>/report/preview">
  <h3 id="preview-h">If you sign now</h3>
  <dl class="facts">
    <dt>First read</dt><dd id="preview-first"><span data-k="first_birads_label"><?cs var:Preview.FirstBiradsLabel ?></span>; next step: <span data-k="first_recommendation_label"><?cs var:Preview.FirstRecommendationLabel ?></span> (<span data-k="first_read_label"><?cs var:Preview.FirstStateLabel ?></span>)</dd>
    <dt>Concordance</dt><dd id="preview-verdict" data-verdict="<?cs var:Preview.Verdict ?>"><strong data-k="verdict_label"><?cs var:Preview.VerdictLabel ?></strong> <span data-k="suspicion_label"><?cs var:Preview.SuspicionLabel ?></span></dd>
    <dt>The patient will read</dt><dd id="preview-patient"><span data-k="patient_sentence"><?cs var:Preview.PatientSentence ?></span> <span data-k="suspicion_sentence"><?cs var:Preview.SuspicionSentence ?></span></dd>
  </dl>
  <p class="field-error" id="preview-contradiction"<?cs if:Preview.Contradiction != "1" ?> hidden<?cs /if ?>>The category and the recommendation point to different next steps: write why above before signing.</p>
  </section>
  <?cs call:area("answers", "Answers to the patient's questions", "5", "") ?>
  <?cs call:area("summary", "Summary in plain language for the patient", "4", "Short sentences, no abbreviations.") ?>
  <?cs call:area("explanation", "Concordance with the first read: your explanation", "3", "The concordance itself is computed from the verified first read and your recommendation: see the preview above.") ?>
  <button type="submit" name="action" value="save" class="secondary">Save draft</button>
  <fieldset><legend>Sign</legend>
  <?cs call:text_field("credential", "Your password or a code from your authenticator app", "password", "current-password", "A signed report can never be changed.") ?>
  <button type="submit" name="action" value="sign">Sign the report</button>
  </fieldset>
</form></section>
<script src="/static/js/report_preview.js" defer></script>
<?cs /if ?>
<?cs if:Case.CanMessage ?>
<section class="card" aria-labelledby="thread-h" id="thread"><h2 id="thread-h">Messages with the patient, and internal notes<?cs if:Thread.Unread != "0" && ?Thread.Unread ?> <span class="badge unread"><?cs var:Thread.Unread ?> new</span><?cs /if ?></h2>
<?cs if:subcount(Thread.Items) ?><ol class="thread"><?cs each:m = Thread.Items ?><li class="<?cs if:m.internal == "1" ?>internal-note<?cs else ?>message<?cs /if ?><?cs if:m.new == "1" ?> unread<?cs /if ?>"><p class="muted"><?cs var:m.author ?> (<?cs var:m.role ?>), <?cs var:m.at ?><?cs if:m.new == "1" ?> <strong class="badge unread">new</strong><?cs /if ?><?cs if:m.internal == "1" ?> — <strong>internal note, never shown to the patient</strong><?cs /if ?></p><p class="pre"><?cs var:m.body ?></p></li><?cs /each ?></ol><?cs else ?><p>No messages yet.</p><?cs /if ?>
<form method="post" action="/reviewer/cases/<?cs var:Case.id ?>/reply" id="reply-form"><?cs call:csrf_field() ?>
  <?cs call:area("reply", "Answer the patient", "4", "The patient reads this in the portal; their e-mail only says there is a new message.") ?>
  <button type="submit">Send to the patient</button>
</form>
<form method="post" action="/reviewer/cases/<?cs var:Case.id ?>/note"><?cs call:csrf_field() ?>
  <?cs call:area("note", "Internal note (staff and reviewers only)", "3", "") ?>
  <button type="submit" class="secondary">Add internal note</button>
</form>
</section>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
