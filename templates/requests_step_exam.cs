<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<?cs call:step_header() ?>
<p>Tell us about the exam you want a second opinion on. The report from the imaging center has most of these answers.</p>
<form method="post" action="/requests/<?cs var:Request.Id ?>/steps/exam" novalidate>
  <?cs call:csrf_field() ?>
  <fieldset class="rq-group<?cs if:Form.Errors.filled_by ?> has-error<?cs /if ?>">
    <legend>Who is filling in this form?</legend>
    <?cs call:radio("filled_by", "self", "I am the patient") ?>
    <?cs call:radio("filled_by", "caregiver", "I am helping the patient (a caregiver)") ?>
    <?cs call:field_error("filled_by") ?>
    <?cs call:text_field("caregiver_name", "Your name (if you are a caregiver)", "text", "name", "") ?>
    <?cs call:text_field("caregiver_relationship", "Your relationship to the patient", "text", "off", "For example daughter, husband, friend.") ?>
  </fieldset>
  <?cs call:text_field("facility", "Where was the exam done?", "text", "organization", "The name of the imaging center or hospital.") ?>
  <?cs call:text_field("records_contact", "Its medical-records department (phone, fax or address)", "text", "off", "Optional. We use it for the letter asking for your records.") ?>
  <?cs call:text_field("exam_date", "Date of the exam", "date", "off", "For example 2026-03-15.") ?>
  <fieldset class="rq-group<?cs if:Form.Errors.exam_type ?> has-error<?cs /if ?>">
    <legend>What kind of exam was it? Tick all that apply.</legend>
    <?cs each:t = ExamTypes ?>
    <div class="check"><input type="checkbox" id="f-type-<?cs var:t.Key ?>" name="exam_type" value="<?cs var:t.Key ?>"<?cs if:Form.Values.exam_type[t.Key] == "1" ?> checked<?cs /if ?>><label for="f-type-<?cs var:t.Key ?>"><?cs var:t.Label ?></label></div>
    <?cs /each ?>
    <?cs call:field_error("exam_type") ?>
  </fieldset>
  <?cs call:text_field("prior_exam_dates", "Earlier breast exams you know of", "text", "off", "Optional, for example: mammograms in 2024 and 2022 at the same center.") ?>
  <fieldset class="rq-group<?cs if:Form.Errors.birads ?> has-error<?cs /if ?>">
    <legend>The BI-RADS category on the report</legend>
    <p class="hint">The report usually ends with "BI-RADS" and a number from 0 to 6.</p>
    <?cs each:b = Birads ?>
    <?cs call:radio("birads", b.Key, b.Label) ?>
    <?cs /each ?>
    <?cs call:field_error("birads") ?>
  </fieldset>
  <fieldset class="rq-group<?cs if:Form.Errors.biopsy ?> has-error<?cs /if ?>">
    <legend>Was a biopsy done?</legend>
    <?cs call:radio("biopsy", "yes", "Yes") ?>
    <?cs call:radio("biopsy", "no", "No") ?>
    <?cs call:field_error("biopsy") ?>
  </fieldset>
  <?cs call:textarea_field("reason", "Why would you like a second opinion?", "A few words are enough, for example: the report says BI-RADS 4 and I would like another specialist to look before the biopsy.") ?>
  <fieldset class="rq-group">
    <legend>Your questions for the specialist (up to five, optional)</legend>
    <?cs call:text_field("q1", "Question 1", "text", "off", "") ?>
    <?cs call:text_field("q2", "Question 2", "text", "off", "") ?>
    <?cs call:text_field("q3", "Question 3", "text", "off", "") ?>
    <?cs call:text_field("q4", "Question 4", "text", "off", "") ?>
    <?cs call:text_field("q5", "Question 5", "text", "off", "") ?>
  </fieldset>
  <?cs call:text_field("treatment_date", "Is a treatment already scheduled? Its date", "date", "off", "Optional. A surgery or therapy date helps the center plan.") ?>
  <?cs call:step_buttons() ?>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
