<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1><?cs if:Reset.Invitation ?>Welcome: choose your password<?cs else ?>Choose a new password<?cs /if ?></h1>
<?cs if:Reset.Invitation ?><p>After this you log in and set up two-step login with an authenticator app on your phone.</p><?cs /if ?>
<form method="post" action="/reset-password" novalidate>
  <?cs call:csrf_field() ?>
  <input type="hidden" name="token" value="<?cs var:Form.Values.token ?>">
  <?cs call:text_field("password", "New password", "password", "new-password", "At least 15 characters (12 with two-step login). A few unrelated words make a good password.") ?>
  <button type="submit">Save my password</button>
</form>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
