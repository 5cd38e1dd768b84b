<?cs def:content() ?>
<section>
<h1>Your account</h1>
<div class="card">
<dl class="facts">
  <dt>Name</dt><dd><?cs var:Account.Name ?></dd>
  <dt>E-mail address</dt><dd><?cs var:Account.Email ?> <?cs if:Account.EmailVerified ?><span class="badge">confirmed</span><?cs else ?><span class="badge">not confirmed yet</span><?cs /if ?></dd>
  <dt>Role</dt><dd><?cs var:Account.Role ?></dd>
  <?cs if:Account.Dob ?><dt>Date of birth</dt><dd><?cs var:Account.Dob ?></dd><?cs /if ?>
  <dt>Account created</dt><dd><?cs var:Account.Created ?> UTC</dd>
  <dt>Logged-in sessions</dt><dd><?cs var:Account.Sessions ?></dd>
</dl>
</div>
<h2>Password</h2>
<p><a href="/account/password">Change your password</a></p>
<h2>Two-step login</h2>
<?cs if:Account.Totp ?>
<p>Two-step login is <strong>on</strong>. You have <?cs var:Account.RecoveryLeft ?> unused recovery codes.</p>
<?cs else ?>
<p>Two-step login is <strong>off</strong>. It asks for a code from an app on your phone when you log in, so a stolen password alone is not enough.</p>
<?cs /if ?>
<p><a href="/account/2fa">Manage two-step login</a></p>
<h2>Privacy</h2>
<p class="muted">For your privacy you are logged out after <?cs var:Account.IdleMinutes ?> minutes without activity; the page warns you two minutes before.</p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
