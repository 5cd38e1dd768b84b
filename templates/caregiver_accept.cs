<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Help <?cs var:Invite.PatientName ?> on secondop</h1>
<p><strong><?cs var:Invite.PatientName ?></strong> invited you, as their <?cs var:Invite.Relationship ?>, to help with their requests for a
second opinion at the breast center. If you accept, you can start requests for them, upload their records, sign the
authorization in your own name, follow their requests and write to the center. Everything you do is recorded in your
name and they see it. They can end this at any time.</p>
<?cs call:field_error("accept") ?>
<?cs if:Invite.LoggedIn ?>
<?cs if:Invite.CenterAccount ?>
<p>You are logged in with a center account. Please log out and accept with a personal account.</p>
<?cs else ?>
<p>You are logged in as <strong><?cs var:Invite.AccountName ?></strong>. Accepting links this account to <?cs var:Invite.PatientName ?>.</p>
<form method="post" action="/caregivers/accept">
  <?cs call:csrf_field() ?>
  <input type="hidden" name="token" value="<?cs var:Form.Values.token ?>">
  <button type="submit">Accept and help <?cs var:Invite.PatientName ?></button>
</form>
<?cs /if ?>
<?cs else ?>
<h2>Already have an account?</h2>
<p><a href="/login?next=<?cs var:url_escape(Invite.LoginNext) ?>">Log in</a>, and you come back here to accept.</p>
<h2>New here? Create your account</h2>
<?cs if:Form.ErrorCount ?><div class="error-summary" role="alert"><p>Please check the answers marked below. Nothing you typed has been lost, except the password.</p></div><?cs /if ?>
<form method="post" action="/caregivers/accept" novalidate>
  <?cs call:csrf_field() ?>
  <input type="hidden" name="token" value="<?cs var:Form.Values.token ?>">
  <p>Your e-mail address: <strong><?cs var:Invite.Email ?></strong> (the address the invitation was sent to).</p>
  <?cs call:text_field("name", "Your full name", "text", "name", "Your own name: you sign in it.") ?>
  <?cs call:text_field("password", "Password", "password", "new-password", "At least 15 characters. A few unrelated words make a good password; any characters are fine.") ?>
  <?cs if:?Form.Errors.time_zone ?>
  <?cs call:text_field("time_zone", "Your time zone", "text", "off", "Times are shown to you in it. You can change it later on your account page.") ?>
  <?cs else ?>
  <input type="hidden" name="time_zone" value="<?cs var:Form.Values.time_zone ?>" data-browser-tz>
  <?cs /if ?>
  <button type="submit">Create my account and accept</button>
</form>
<script src="/static/js/timezone.js" defer></script>
<?cs /if ?>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
