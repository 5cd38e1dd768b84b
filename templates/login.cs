<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Log in</h1>
<?cs if:Login.Notice ?><p class="flash ok" role="status"><?cs var:Login.Notice ?></p><?cs /if ?>
<?cs if:Form.Errors.form ?><p class="flash error" role="alert" id="form-error"><?cs var:Form.Errors.form ?></p><?cs /if ?>
<form method="post" action="/login">
  <?cs call:csrf_field() ?>
  <?cs if:Form.Values.next ?><input type="hidden" name="next" value="<?cs var:Form.Values.next ?>"><?cs /if ?>
  <?cs call:text_field("email", "E-mail address", "email", "username", "") ?>
  <?cs call:text_field("password", "Password", "password", "current-password", "") ?>
  <button type="submit">Log in</button>
</form>
<p><a href="/forgot-password">Forgot your password?</a></p>
<p>New here? <a href="/signup">Create an account</a>.</p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
