<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Two-step login</h1>
<p>Open your authenticator app and enter the 6-digit code it shows for secondop.</p>
<form method="post" action="/login/2fa">
  <?cs call:csrf_field() ?>
  <?cs call:text_field("code", "Code", "text", "one-time-code", "Lost your phone? Enter one of your recovery codes instead.") ?>
  <button type="submit">Continue</button>
</form>
<form method="post" action="/logout"><?cs call:csrf_field() ?><button type="submit" class="secondary">Cancel and log out</button></form>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
