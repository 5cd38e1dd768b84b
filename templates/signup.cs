<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Create an account</h1>
<p>With an account you can ask for a second opinion, send your records and follow your request.</p>
<?cs if:Form.Invalid ?><p class="flash error" role="alert">Some fields need your attention. Each one says what to change.</p><?cs /if ?>
<form method="post" action="/signup" novalidate>
  <?cs call:csrf_field() ?>
  <?cs call:text_field("name", "Your name", "text", "name", "As you would like us to address you.") ?>
  <?cs call:text_field("email", "E-mail address", "email", "email", "We send a link to confirm it. We never send health information by e-mail.") ?>
  <?cs call:text_field("dob", "Date of birth", "date", "bday", "Used to check that uploaded images are yours. Format: YYYY-MM-DD.") ?>
  <?cs call:text_field("password", "Password", "password", "new-password", "At least 15 characters. A few unrelated words make a good password; any characters are fine.") ?>
  <?cs if:?Form.Errors.time_zone ?>
  <?cs call:text_field("time_zone", "Your time zone", "text", "off", "Times are shown to you in it. You can change it later on your account page.") ?>
  <?cs else ?>
  <?cs # the browser's time zone, filled in by static/js/timezone.js; shown and editable on the account page ?>
  <input type="hidden" name="time_zone" value="<?cs var:Form.Values.time_zone ?>" data-browser-tz>
  <?cs /if ?>
  <button type="submit">Create my account</button>
</form>
<p>Already have an account? <a href="/login">Log in</a>.</p>
</section>
<script src="/static/js/timezone.js" defer></script>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
