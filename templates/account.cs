<?cs include:"_macros.cs" ?>
<?cs include:"_tokens.cs" ?>
<?cs def:content() ?>
<section>
<h1>Your account</h1>
<div class="card">
<dl class="facts">
  <dt>Name</dt><dd><?cs var:Account.Name ?></dd>
  <dt>E-mail address</dt><dd><?cs var:Account.Email ?> <?cs if:Account.EmailVerified ?><span class="badge">confirmed</span><?cs else ?><span class="badge">not confirmed yet</span><?cs /if ?></dd>
  <dt>Role</dt><dd><?cs var:Account.Role ?></dd>
  <?cs if:Account.Dob ?><dt>Date of birth</dt><dd><?cs var:Account.Dob ?></dd><?cs /if ?>
  <dt>Account created</dt><dd><?cs var:Account.Created ?></dd>
  <dt>Logged-in sessions</dt><dd><?cs var:Account.Sessions ?></dd>
</dl>
</div>
<h2 id="time-zone">Time zone</h2>
<p>Every date and time in the portal and in our e-mails is shown to you in this time zone. It is now <strong id="tz-now"><?cs var:Account.Now ?></strong> in <strong id="tz-current"><?cs var:Account.TimeZone ?></strong>.</p>
<form method="post" action="/account/time-zone" novalidate>
  <?cs call:csrf_field() ?>
  <?cs call:text_field("time_zone", "Your time zone", "text", "off", "As the tz database names it, like Europe/Madrid or America/Los_Angeles.") ?>
  <p class="hint" data-browser-tz-hint hidden>Your browser says: <button type="button" class="link" data-browser-tz-use></button></p>
  <button type="submit" class="secondary">Save the time zone</button>
</form>
<script src="/static/js/timezone.js" defer></script>
<h2>Password</h2>
<p><a href="/account/password">Change your password</a></p>
<h2>Two-step login</h2>
<?cs if:Account.Totp ?>
<p>Two-step login is <strong>on</strong>. You have <?cs var:Account.RecoveryLeft ?> unused recovery codes.</p>
<?cs else ?>
<p>Two-step login is <strong>off</strong>. It asks for a code from an app on your phone when you log in, so a stolen password alone is not enough.</p>
<?cs /if ?>
<p><a href="/account/2fa">Manage two-step login</a></p>
<?cs if:?Account.MayConnect ?>
<h2 id="programs">Imaging programs</h2>
<p>A viewing program or a radiologist's workstation can open your images from the portal with a key you make and can remove at any time.</p>
<?cs call:tokens_list() ?>
<p><a href="/account/tokens">Connect an imaging program</a></p>
<?cs /if ?>
<?cs if:Account.Role == "patient" ?>
<h2 id="caregivers">People who help you</h2>
<p>Someone you trust can act for you with their own account: start requests, upload records, sign in their own name. You can remove them at any time.</p>
<p><a href="/account/caregivers">Invite or remove someone who helps you</a></p>
<?cs /if ?>
<h2 id="sessions">Where you are logged in</h2>
<p>These are the browsers and devices logged in to your account now. If you do not recognise one, sign it out and change your password.</p>
<ul class="sessions card-list">
<?cs each:s = Sessions ?>
<li class="card">
<p><strong><?cs var:s.Device ?></strong><?cs if:s.Current ?> <span class="badge">this device</span><?cs /if ?></p>
<dl class="facts">
  <dt>Address</dt><dd><?cs var:s.Ip ?></dd>
  <dt>Logged in</dt><dd><?cs var:s.Created ?></dd>
  <dt>Last used</dt><dd><?cs var:s.LastSeen ?></dd>
</dl>
<form method="post" action="/account/sessions/<?cs var:s.Id ?>/revoke"><?cs call:csrf_field() ?><button type="submit" class="secondary">Sign out<?cs if:s.Current ?> here<?cs else ?> this session<?cs /if ?></button></form>
</li>
<?cs /each ?>
</ul>
<?cs if:Account.OtherSessions != "0" ?>
<form method="post" action="/account/sessions/revoke-others"><?cs call:csrf_field() ?><button type="submit">Sign out all other sessions</button></form>
<?cs /if ?>
<h2>Privacy</h2>
<p class="muted">For your privacy you are logged out after <?cs var:Account.IdleMinutes ?> minutes without activity; the page warns you two minutes before.</p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
