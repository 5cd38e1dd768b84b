<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<h1>Two-step login</h1>
<?cs if:Twofa.Enabled ?>
<p>Two-step login is <strong>on</strong>. You have <?cs var:Twofa.RecoveryLeft ?> unused recovery codes.</p>
<h2>New recovery codes</h2>
<p>Makes 10 new codes; the old ones stop working. Enter a code from your app to confirm.</p>
<form method="post" action="/account/2fa">
  <?cs call:csrf_field() ?>
  <input type="hidden" name="action" value="regenerate">
  <?cs # a code refused for "Turn it off" is said next to that form's field, not this one ?>
  <?cs if:Twofa.Action != "disable" ?><?cs call:text_field("code", "Code from your app", "text", "one-time-code", "") ?>
  <?cs else ?><div class="field"><label for="f-code">Code from your app</label><input id="f-code" name="code" type="text" autocomplete="one-time-code"></div><?cs /if ?>
  <button type="submit">Make new recovery codes</button>
</form>
<?cs if:!Twofa.Required ?>
<h2>Turn two-step login off</h2>
<form method="post" action="/account/2fa">
  <?cs call:csrf_field() ?>
  <input type="hidden" name="action" value="disable">
  <?cs if:Twofa.Action == "disable" && Form.Errors.code ?>
  <div class="field has-error"><label for="f-code-off">Code from your app</label><input id="f-code-off" name="code" type="text" autocomplete="one-time-code" aria-invalid="true" aria-describedby="code-off-error">
  <p class="field-error" id="code-off-error"><?cs var:Form.Errors.code ?></p></div>
  <?cs else ?>
  <div class="field"><label for="f-code-off">Code from your app</label><input id="f-code-off" name="code" type="text" autocomplete="one-time-code"></div>
  <?cs /if ?>
  <button type="submit" class="secondary">Turn it off</button>
</form>
<?cs /if ?>
<?cs else ?>
<?cs if:Twofa.Required ?><p class="flash" role="status">Your role needs two-step login before you can see any patient information. It takes two minutes.</p><?cs /if ?>
<ol class="steps">
  <li>Install an authenticator app on your phone (for example FreeOTP, Google Authenticator or Microsoft Authenticator).</li>
  <li>In the app, add an account and scan this picture:
    <p><img class="qr" src="/account/2fa/qr.svg" width="220" height="220" alt="QR code with your secret key; if you cannot scan it, type the key shown below"></p>
    or type this key: <code class="secret" id="totp-secret"><?cs var:Twofa.Secret ?></code> (time-based, 6 digits).</li>
  <li>Enter the 6-digit code the app shows now.</li>
</ol>
<form method="post" action="/account/2fa">
  <?cs call:csrf_field() ?>
  <input type="hidden" name="action" value="enable">
  <?cs call:text_field("code", "Code from your app", "text", "one-time-code", "") ?>
  <button type="submit">Turn on two-step login</button>
</form>
<?cs /if ?>
<p><a href="/account">Back to your account</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
