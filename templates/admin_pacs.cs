<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section>
<h1><?cs var:Page.Title ?></h1>
<p><a href="/admin/center#pacs-h">Back to the center settings</a></p>
<p>Staff and the reviewing radiologist can send a request's images to this PACS with DICOMweb (STOW-RS). The portal posts them to <em>address</em>/studies.</p>
<form method="post" action="/admin/center/pacs<?cs if:Pacs.Editing == "1" ?>/<?cs var:Pacs.Id ?><?cs /if ?>" novalidate><?cs call:csrf_field() ?>
<?cs call:text_field("name", "Name", "text", "off", "What staff will choose from, e.g. Riverside PACS") ?>
<?cs call:text_field("base_url", "DICOMweb address", "url", "off", "The service root, e.g. https://pacs.example/dicom-web") ?>
<fieldset class="field<?cs if:Form.Errors.auth ?> has-error<?cs /if ?>">
  <legend>How the portal signs in to the PACS</legend>
  <p><label><input type="radio" name="auth" value="none"<?cs if:Form.Values.auth == "none" ?> checked<?cs /if ?>> No sign-in</label></p>
  <p><label><input type="radio" name="auth" value="basic"<?cs if:Form.Values.auth == "basic" ?> checked<?cs /if ?>> User name and password (HTTP basic)</label></p>
  <p><label><input type="radio" name="auth" value="bearer"<?cs if:Form.Values.auth == "bearer" ?> checked<?cs /if ?>> A token (Authorization: Bearer)</label></p>
  <?cs call:field_error("auth") ?>
</fieldset>
<?cs call:text_field("username", "User name (for user name and password)", "text", "off", "") ?>
<div class="field<?cs if:Form.Errors.secret ?> has-error<?cs /if ?>">
  <label for="f-secret">Password or token</label>
  <p class="hint" id="secret-hint"><?cs if:Pacs.HasSecret == "1" ?>Set — leave empty to keep it.<?cs else ?>Not set. Kept sealed; never shown again.<?cs /if ?></p>
  <input id="f-secret" name="secret" type="password" value="" autocomplete="new-password"<?cs if:Form.Errors.secret ?> aria-invalid="true" aria-describedby="secret-error"<?cs else ?> aria-describedby="secret-hint"<?cs /if ?>>
  <?cs call:field_error("secret") ?>
</div>
<div class="field<?cs if:Form.Errors.ca_pem ?> has-error<?cs /if ?>">
  <label for="f-ca_pem">Certificate to trust for HTTPS (PEM, optional)</label>
  <p class="hint" id="ca_pem-hint">For a PACS whose certificate is signed by the center's own authority. Leave empty to trust the system's certificates.</p>
  <textarea id="f-ca_pem" name="ca_pem" rows="6" spellcheck="false"<?cs if:Form.Errors.ca_pem ?> aria-invalid="true" aria-describedby="ca_pem-error"<?cs else ?> aria-describedby="ca_pem-hint"<?cs /if ?>><?cs var:Form.Values.ca_pem ?></textarea>
  <?cs call:field_error("ca_pem") ?>
</div>
<button type="submit"><?cs if:Pacs.Editing == "1" ?>Save the changes<?cs else ?>Add the destination<?cs /if ?></button>
</form>
<?cs if:Pacs.Editing == "1" ?>
<h2 id="delete-h">Delete this destination</h2>
<form method="post" action="/admin/center/pacs/<?cs var:Pacs.Id ?>/delete" novalidate><?cs call:csrf_field() ?>
<p>Staff will no longer be able to send images to it. Sends that have ended keep their record. A destination with a send under way cannot be deleted.</p>
<div class="field<?cs if:Form.Errors.confirm_delete ?> has-error<?cs /if ?>">
  <label><input type="checkbox" id="f-confirm_delete" name="confirm_delete" value="yes"<?cs if:Form.Errors.confirm_delete ?> aria-invalid="true" aria-describedby="confirm_delete-error"<?cs /if ?>> Yes, delete <?cs var:Form.Values.name ?></label>
  <?cs call:field_error("confirm_delete") ?>
</div>
<button type="submit" class="secondary">Delete the destination</button>
</form>
<?cs /if ?>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
