<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Confirm it is you</h1>
<p>This change needs you to confirm who you are, because it matters for the safety of the records here. Nothing has changed yet: what you entered is kept and the change goes ahead as soon as you confirm.</p>
<form method="post" action="<?cs var:url_validate(StepUp.Action) ?>" novalidate>
  <?cs call:csrf_field() ?>
  <?cs each:f = StepUp.Fields ?><input type="hidden" name="<?cs var:f.Name ?>" value="<?cs var:f.Value ?>">
  <?cs /each ?>
  <?cs if:StepUp.Totp ?>
  <?cs call:text_field("stepup_credential", "Your password, or the 6-digit code from your authenticator app", "password", "current-password", "You will not be asked again for the next 5 minutes.") ?>
  <?cs else ?>
  <?cs call:text_field("stepup_credential", "Your password", "password", "current-password", "You will not be asked again for the next 5 minutes.") ?>
  <?cs /if ?>
  <button type="submit">Confirm and continue</button>
</form>
<p><a href="/account">Cancel</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
