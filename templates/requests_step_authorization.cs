<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<?cs call:step_header() ?>
<p>The law protects your health information: the specialist may only see your records with your written permission. Please read this authorization.</p>
<div class="rq-authtext" id="auth-text" tabindex="0" aria-label="Authorization text"><?cs var:Auth.Text ?></div>
<p><a href="/requests/<?cs var:Request.Id ?>/authorization">Printable version</a></p>
<?cs if:Auth.InForce ?>
<p class="flash ok" role="status"><?cs if:Auth.SignedName ?>Signed by <?cs var:Auth.SignedName ?><?cs if:?Auth.SignerRelationship ?>, the patient's <?cs var:Auth.SignerRelationship ?> (<?cs var:Auth.SignerAuthority ?>),<?cs /if ?> on <?cs var:Auth.SignedAt ?>.<?cs else ?>Your signed paper form is on file.<?cs /if ?></p>
<form method="post" action="/requests/<?cs var:Request.Id ?>/steps/authorization">
  <?cs call:csrf_field() ?>
  <p class="rq-buttons"><button type="submit" name="go" value="next">Continue</button></p>
</form>
<details class="rq-box">
  <summary>Revoke this authorization</summary>
  <p>You may revoke it at any time. This stops the review of your request.</p>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/authorization/revoke">
    <?cs call:csrf_field() ?>
    <div class="check"><input type="checkbox" id="f-revoke-confirm" name="confirm" value="1"><label for="f-revoke-confirm">Yes, revoke my authorization</label></div>
    <button type="submit" class="secondary">Revoke</button>
  </form>
</details>
<?cs else ?>
<?cs if:Auth.Uploaded ?><p class="flash ok" role="status">We received a signed paper authorization. You may also sign here.</p><?cs /if ?>
<form method="post" action="/requests/<?cs var:Request.Id ?>/steps/authorization" novalidate>
  <?cs call:csrf_field() ?>
  <input type="hidden" name="text_sha256" value="<?cs var:Auth.Sha256 ?>">
  <?cs if:?Acting.For ?><p>You sign in <strong>your own name</strong>, as <?cs var:Acting.For ?>'s <?cs var:Acting.As ?>. The authorization will show who signed and on what authority.</p><?cs /if ?>
  <?cs call:text_field("full_name", "Type your full name to sign", "text", "name", "Your own name, as on your account. Capitals, accents and extra spaces do not matter.") ?>
  <div class="check<?cs if:Form.Errors.confirm ?> has-error<?cs /if ?>"><input type="checkbox" id="f-confirm" name="confirm" value="1"<?cs if:Form.Values.confirm ?> checked<?cs /if ?><?cs if:Form.Errors.confirm ?> aria-invalid="true" aria-describedby="confirm-error"<?cs /if ?>><label for="f-confirm">I have read this authorization and I sign it.</label></div>
  <?cs call:field_error("confirm") ?>
  <p class="rq-buttons"><button type="submit" name="go" value="next">Sign and continue</button></p>
</form>
<p class="hint">Prefer paper? Print the authorization, sign it, and upload a photo or scan of it on the <a href="/requests/<?cs var:Request.Id ?>/records">records page</a> as "Release form".</p>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
