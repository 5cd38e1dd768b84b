<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Confirm your e-mail address</h1>
<p>Press the button to confirm that this e-mail address is yours.</p>
<form method="post" action="/verify-email">
  <?cs call:csrf_field() ?>
  <input type="hidden" name="token" value="<?cs var:Form.Values.token ?>">
  <button type="submit">Confirm my e-mail address</button>
</form>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
