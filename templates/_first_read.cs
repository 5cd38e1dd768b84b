<?cs # The first read: what the patient told us, what the center verified from the uploaded report, and the form to confirm or correct it (routes/first_read_view.c). Values are selected in C; nothing here tests a clinical value for truth. ?>
<section class="card" id="first-read" aria-labelledby="first-read-h">
<h2 id="first-read-h">First read</h2>
<?cs if:FirstRead.Verified == "1" ?>
<p class="flash ok" role="status">Verified from the uploaded report by <?cs var:FirstRead.VerifiedBy ?> on <?cs var:FirstRead.VerifiedAt ?>. Triage uses these values.</p>
<dl class="facts" id="first-read-verified">
  <dt>Category</dt><dd><?cs var:FirstRead.Current.birads ?></dd>
  <dt>Next step recommended</dt><dd><?cs var:FirstRead.Current.recommendation ?></dd>
  <dt>Biopsy</dt><dd><?cs var:FirstRead.Current.biopsy ?></dd>
  <dt>Exam date</dt><dd><?cs var:FirstRead.Current.exam_date ?></dd>
</dl>
<?cs else ?>
<p class="flash error" role="status" id="first-read-unverified"><strong>The first read is unverified.</strong> Until someone checks it against the uploaded report, triage uses what the patient told us.</p>
<?cs /if ?>
<h3>As you told us <span class="muted">(the patient's own answers, kept as she gave them)</span></h3>
<dl class="facts" id="first-read-patient">
  <dt>Category</dt><dd><?cs var:FirstRead.Patient.birads ?></dd>
  <dt>Biopsy</dt><dd><?cs var:FirstRead.Patient.biopsy ?></dd>
  <dt>Exam date</dt><dd><?cs var:FirstRead.Patient.exam_date ?></dd>
</dl>
<details<?cs if:FirstRead.ErrorCount || FirstRead.Verified != "1" ?> open<?cs /if ?>>
<summary><?cs if:FirstRead.Verified == "1" ?>Correct the verified first read<?cs else ?>Verify the first read from the uploaded report<?cs /if ?></summary>
<form method="post" action="<?cs var:url_validate(FirstRead.Action) ?>" novalidate class="first-read-form"><?cs call:csrf_field() ?>
  <?cs if:FirstRead.ErrorCount ?><p class="flash error" role="alert">Please correct the marked fields. Nothing was saved.</p><?cs /if ?>
  <div class="field<?cs if:FirstRead.Errors.fr_birads ?> has-error<?cs /if ?>"><label for="fr-birads">BI-RADS category on the report</label>
    <select id="fr-birads" name="fr_birads"<?cs if:FirstRead.Errors.fr_birads ?> aria-invalid="true" aria-describedby="fr_birads-error"<?cs /if ?>>
      <option value="">Choose…</option>
      <?cs each:o = FirstRead.Options.Birads ?><option value="<?cs var:o.value ?>"<?cs if:o.selected == "1" ?> selected<?cs /if ?>><?cs var:o.label ?></option><?cs /each ?>
    </select>
    <?cs if:FirstRead.Errors.fr_birads ?><p class="field-error" id="fr_birads-error"><?cs var:FirstRead.Errors.fr_birads ?></p><?cs /if ?></div>
  <div class="field<?cs if:FirstRead.Errors.fr_recommendation ?> has-error<?cs /if ?>"><label for="fr-recommendation">Next step the report recommends</label>
    <select id="fr-recommendation" name="fr_recommendation"<?cs if:FirstRead.Errors.fr_recommendation ?> aria-invalid="true" aria-describedby="fr_recommendation-error"<?cs /if ?>>
      <option value="">Choose…</option>
      <?cs each:o = FirstRead.Options.Recommendation ?><option value="<?cs var:o.value ?>"<?cs if:o.selected == "1" ?> selected<?cs /if ?>><?cs var:o.label ?></option><?cs /each ?>
    </select>
    <?cs if:FirstRead.Errors.fr_recommendation ?><p class="field-error" id="fr_recommendation-error"><?cs var:FirstRead.Errors.fr_recommendation ?></p><?cs /if ?></div>
  <fieldset<?cs if:FirstRead.Errors.fr_biopsy ?> class="has-error" aria-describedby="fr_biopsy-error"<?cs /if ?>><legend>Biopsy</legend>
    <?cs each:o = FirstRead.Options.Biopsy ?><div class="check"><input type="radio" id="fr-biopsy-<?cs var:o.value ?>" name="fr_biopsy" value="<?cs var:o.value ?>"<?cs if:o.selected == "1" ?> checked<?cs /if ?>><label for="fr-biopsy-<?cs var:o.value ?>"><?cs var:o.label ?></label></div><?cs /each ?>
    <?cs if:FirstRead.Errors.fr_biopsy ?><p class="field-error" id="fr_biopsy-error"><?cs var:FirstRead.Errors.fr_biopsy ?></p><?cs /if ?></fieldset>
  <div class="field<?cs if:FirstRead.Errors.fr_biopsy_date ?> has-error<?cs /if ?>"><label for="fr-biopsy-date">Date of the biopsy (empty when none)</label>
    <input id="fr-biopsy-date" name="fr_biopsy_date" type="date" value="<?cs var:FirstRead.Value.fr_biopsy_date ?>"<?cs if:FirstRead.Errors.fr_biopsy_date ?> aria-invalid="true" aria-describedby="fr_biopsy_date-error"<?cs /if ?>>
    <?cs if:FirstRead.Errors.fr_biopsy_date ?><p class="field-error" id="fr_biopsy_date-error"><?cs var:FirstRead.Errors.fr_biopsy_date ?></p><?cs /if ?></div>
  <div class="field<?cs if:FirstRead.Errors.fr_exam_date ?> has-error<?cs /if ?>"><label for="fr-exam-date">Date of the exam on the report</label>
    <input id="fr-exam-date" name="fr_exam_date" type="date" value="<?cs var:FirstRead.Value.fr_exam_date ?>"<?cs if:FirstRead.Errors.fr_exam_date ?> aria-invalid="true" aria-describedby="fr_exam_date-error"<?cs /if ?>>
    <?cs if:FirstRead.Errors.fr_exam_date ?><p class="field-error" id="fr_exam_date-error"><?cs var:FirstRead.Errors.fr_exam_date ?></p><?cs /if ?></div>
  <button type="submit">Save the verified first read</button>
</form>
</details>
</section>
