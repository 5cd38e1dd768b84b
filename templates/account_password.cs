<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Change your password</h1>
<p>When you change it, every other session (another browser or device) is logged out.</p>
<form method="post" action="/account/password" novalidate>
  <?cs call:csrf_field() ?>
  <?cs call:text_field("current", "Current password", "password", "current-password", "") ?>
  <?cs call:text_field("password", "New password", "password", "new-password", "At least 15 characters (12 with two-step login). A few unrelated words make a good password.") ?>
  <button type="submit">Change my password</button>
</form>
<p><a href="/account">Back to your account</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
