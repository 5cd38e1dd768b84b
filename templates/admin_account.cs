<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section>
<p><a href="/admin/accounts">All accounts</a></p>
<h1><?cs var:Target.Name ?></h1>
<div class="card">
<dl class="facts">
  <dt>E-mail address</dt><dd><?cs var:Target.Email ?><?cs if:!Target.EmailVerified ?> (not confirmed)<?cs /if ?></dd>
  <dt>Role</dt><dd><?cs var:Target.Role ?></dd>
  <dt>Status</dt><dd><?cs if:!Target.Active ?>disabled<?cs elif:Target.Invited ?>invited (no password yet)<?cs else ?>active<?cs /if ?></dd>
  <dt>Two-step login</dt><dd><?cs if:Target.Totp ?>on<?cs else ?>off<?cs /if ?></dd>
  <dt>Created</dt><dd><?cs var:Target.Created ?></dd>
</dl>
</div>
<?cs if:!Target.IsSelf ?>
<?cs if:Target.Active ?>
<form method="post" action="/admin/accounts/<?cs var:Target.Id ?>/disable"><?cs call:csrf_field() ?>
<p>Disabling ends every session of this account at once; they cannot log in until you enable it again.</p>
<button type="submit">Disable this account</button></form>
<?cs else ?>
<form method="post" action="/admin/accounts/<?cs var:Target.Id ?>/enable"><?cs call:csrf_field() ?><button type="submit">Enable this account</button></form>
<?cs /if ?>
<?cs /if ?>
<?cs if:Target.MfaLocked ?>
<div class="card" role="status">
<p><strong>Two-step login is locked</strong> after <?cs var:Target.MfaFailures ?> wrong codes. The account holder was told by e-mail. Lift the lock only once you have spoken to them: someone else may know their password.</p>
<form method="post" action="/admin/accounts/<?cs var:Target.Id ?>/unlock-2fa"><?cs call:csrf_field() ?><button type="submit">Lift the two-step login lock</button></form>
</div>
<?cs /if ?>
<form method="post" action="/admin/accounts/<?cs var:Target.Id ?>/logout-all"><?cs call:csrf_field() ?>
<p>Signing out everywhere ends every session of this account at once<?cs if:Target.IsSelf ?> except the one you are using<?cs /if ?>; the password stays as it is.</p>
<button type="submit" class="secondary">Sign out of every session</button></form>
<?cs if:Target.Totp ?>
<form method="post" action="/admin/accounts/<?cs var:Target.Id ?>/reset-2fa"><?cs call:csrf_field() ?>
<p>For a lost phone: they set up two-step login again at their next login. Their sessions end now.</p>
<button type="submit" class="secondary">Reset two-step login</button></form>
<?cs /if ?>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
