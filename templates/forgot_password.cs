<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Forgot your password?</h1>
<p>Enter the e-mail address of your account. We will send you a link to choose a new password.</p>
<form method="post" action="/forgot-password" novalidate>
  <?cs call:csrf_field() ?>
  <?cs call:text_field("email", "E-mail address", "email", "email", "") ?>
  <button type="submit">Send me a link</button>
</form>
<p><a href="/login">Back to log in</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
