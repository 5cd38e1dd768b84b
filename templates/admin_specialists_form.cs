<?cs include:"_macros.cs" ?>
<?cs def:check_field(name, label, hint) ?>
<div class="check<?cs if:Form.Errors[name] ?> has-error<?cs /if ?>">
  <input type="checkbox" id="f-<?cs var:name ?>" name="<?cs var:name ?>" value="yes"<?cs if:Form.Values[name] == "yes" ?> checked<?cs /if ?><?cs if:Form.Errors[name] ?> aria-invalid="true" aria-describedby="<?cs var:name ?>-error"<?cs /if ?>>
  <label for="f-<?cs var:name ?>"><?cs var:label ?></label>
  <?cs if:hint ?><p class="hint"><?cs var:hint ?></p><?cs /if ?>
  <?cs call:field_error(name) ?>
</div>
<?cs /def ?>
<?cs def:select_field(name, label, options) ?>
<div class="field<?cs if:Form.Errors[name] ?> has-error<?cs /if ?>">
  <label for="f-<?cs var:name ?>"><?cs var:label ?></label>
  <select id="f-<?cs var:name ?>" name="<?cs var:name ?>"<?cs if:Form.Errors[name] ?> aria-invalid="true" aria-describedby="<?cs var:name ?>-error"<?cs /if ?>>
    <?cs each:o = options ?><option value="<?cs var:o.Value ?>"<?cs if:Form.Values[name] == o.Value ?> selected<?cs /if ?>><?cs var:o.Label ?></option><?cs /each ?>
  </select>
  <?cs call:field_error(name) ?>
</div>
<?cs /def ?>
<?cs def:content() ?>
<p><a href="/admin/specialists">← Specialist directory</a></p>
<h1><?cs var:Page.Title ?></h1>
<?cs if:Specialist.Id ?>
<div class="card">
  <?cs if:Specialist.Active ?>
  <p>Listed in the directory<?cs if:!Specialist.Accepting ?>, not accepting new requests<?cs /if ?>. <a href="/specialists/<?cs var:Specialist.Id ?>">See the public page</a>.</p>
  <form method="post" action="/admin/specialists/<?cs var:Specialist.Id ?>/deactivate" class="inline"><?cs call:csrf_field() ?>
    <button type="submit" class="secondary">Deactivate</button></form>
  <p class="hint">Deactivating hides the specialist from patients. Nothing is deleted: requests that name them keep working.</p>
  <?cs else ?>
  <p><strong>Deactivated.</strong> Patients do not see this specialist in the directory; their page says they are no longer accepting requests.</p>
  <form method="post" action="/admin/specialists/<?cs var:Specialist.Id ?>/reactivate" class="inline"><?cs call:csrf_field() ?>
    <button type="submit">Reactivate</button></form>
  <?cs /if ?>
  <p class="muted">Last changed <?cs var:Specialist.UpdatedAt ?>.</p>
</div>
<?cs if:Specialist.Linked == "0" || ?Form.Errors.invite_email ?>
<form method="post" action="/admin/specialists/<?cs var:Specialist.Id ?>/invite" class="card" id="invite" novalidate><?cs call:csrf_field() ?>
  <h2>Invite this specialist as a reviewer</h2>
  <p class="hint">They get an e-mail to choose a password for a reviewer account in the name <?cs var:Form.Values.full_name ?>; this entry is linked to it at once.</p>
  <?cs call:text_field("invite_email", "Their e-mail address", "email", "off", "") ?>
  <button type="submit">Send the invitation</button>
</form>
<?cs /if ?>
<?cs /if ?>
<?cs if:Form.ErrorCount ?><div class="flash error" role="alert"><p>Please correct the <?cs var:Form.ErrorCount ?> field<?cs if:Form.ErrorCount != 1 ?>s<?cs /if ?> marked below. Nothing was saved yet.</p></div><?cs /if ?>
<?cs set:Opt.Cred.0.Value = "MD" ?><?cs set:Opt.Cred.0.Label = "MD" ?><?cs set:Opt.Cred.1.Value = "DO" ?><?cs set:Opt.Cred.1.Label = "DO" ?>
<?cs set:Opt.Nci.0.Value = "none" ?><?cs set:Opt.Nci.0.Label = "Not NCI-designated" ?><?cs set:Opt.Nci.1.Value = "clinical" ?><?cs set:Opt.Nci.1.Label = "NCI-designated clinical cancer center" ?><?cs set:Opt.Nci.2.Value = "comprehensive" ?><?cs set:Opt.Nci.2.Label = "NCI-designated comprehensive cancer center" ?>
<?cs set:Opt.Rec.0.Value = "upload" ?><?cs set:Opt.Rec.0.Label = "Secure upload" ?><?cs set:Opt.Rec.1.Value = "mail" ?><?cs set:Opt.Rec.1.Label = "Mail" ?><?cs set:Opt.Rec.2.Value = "both" ?><?cs set:Opt.Rec.2.Label = "Upload or mail" ?>
<form method="post" action="<?cs var:url_validate(Form.Action) ?>" novalidate>
  <?cs call:csrf_field() ?>
  <fieldset><legend>Who</legend>
    <?cs call:text_field("full_name", "Full name", "text", "off", "As patients should see it, e.g. Dr. Jane Roe.") ?>
    <?cs call:select_field("credentials", "Degree", Opt.Cred) ?>
    <?cs call:text_field("board", "Certifying board", "text", "off", "Leave empty when not board-certified.") ?>
    <?cs call:text_field("board_year", "Year certified", "text", "off", "") ?>
    <?cs call:check_field("breast_fellowship", "Completed a breast imaging fellowship", "") ?>
    <?cs call:text_field("external_id", "Directory id", "text", "off", "Matches rows when a CSV file is imported again. Leave empty to have one made.") ?>
    <?cs call:select_field("reviewer_user_id", "Reviewer account", Opt.Reviewers) ?>
    <p class="hint" id="reviewer-hint">The radiologist's own account in this portal: cases are assigned to it, and reports are signed in this specialist's name. Only active reviewer accounts are listed<?cs if:Specialist.Id && Specialist.Linked == "0" ?>; not there yet? <a href="/admin/specialists/<?cs var:Specialist.Id ?>#invite">Invite the specialist</a><?cs /if ?>.</p>
  </fieldset>
  <fieldset><legend>Where</legend>
    <?cs call:text_field("institution", "Institution", "text", "off", "") ?>
    <?cs call:text_field("city", "City", "text", "off", "") ?>
    <?cs call:text_field("state", "State", "text", "off", "Two letters, e.g. TX.") ?>
    <?cs call:select_field("nci_designated", "NCI designation", Opt.Nci) ?>
    <?cs call:check_field("academic", "Academic medical center", "") ?>
    <?cs call:check_field("center_of_excellence", "Breast imaging center of excellence", "") ?>
  </fieldset>
  <fieldset><legend>What they offer</legend>
    <?cs call:check_field("remote_review", "Remote review", "") ?>
    <?cs call:check_field("in_person", "In-person consultation", "") ?>
    <?cs call:check_field("offers_reread", "Image re-read", "") ?>
    <?cs call:text_field("fee_reread", "Re-read fee (US dollars)", "text", "off", "") ?>
    <?cs call:check_field("offers_consult", "Full consultation", "") ?>
    <?cs call:text_field("fee_consult", "Consultation fee (US dollars)", "text", "off", "") ?>
    <?cs call:text_field("turnaround_days", "Typical turnaround (days)", "text", "off", "") ?>
    <?cs call:check_field("accepting", "Accepting new requests", "") ?>
  </fieldset>
  <fieldset><legend>Records, insurance, languages</legend>
    <?cs call:select_field("records_submission", "How records may be sent", Opt.Rec) ?>
    <div class="field<?cs if:Form.Errors.records_requirements ?> has-error<?cs /if ?>">
      <label for="f-records_requirements">Requirements for records</label>
      <textarea id="f-records_requirements" name="records_requirements" rows="3"<?cs if:Form.Errors.records_requirements ?> aria-invalid="true" aria-describedby="records_requirements-error"<?cs /if ?>><?cs var:Form.Values.records_requirements ?></textarea>
      <?cs call:field_error("records_requirements") ?>
    </div>
    <?cs call:text_field("networks", "Insurance networks accepted", "text", "off", "Separate them with semicolons: Aetna; Medicare.") ?>
    <?cs call:text_field("languages", "Languages", "text", "off", "Separate them with semicolons: English; Spanish.") ?>
  </fieldset>
  <button type="submit">Save</button>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
