<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><?cs var:Page.Title ?> · secondop</title>
<link rel="icon" href="/static/img/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/css/site.css">
<script src="/static/js/app.js" defer></script>
</head>
<body<?cs if:User.IdleSeconds ?> data-idle-seconds="<?cs var:User.IdleSeconds ?>"<?cs /if ?>>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <a class="brand" href="/">second<span>op</span></a>
  <nav aria-label="Main">
    <ul>
    <?cs if:User.Name ?>
      <?cs if:User.IsPatient ?><li><a href="/requests">My requests</a></li><?cs /if ?>
      <?cs if:User.IsStaff ?><li><a href="/staff/queue">Triage queue</a></li><?cs /if ?>
      <?cs if:User.IsReviewer ?><li><a href="/reviewer/cases">My cases</a></li><?cs /if ?>
      <?cs if:User.IsAdmin ?><li><a href="/admin">Administration</a></li><?cs /if ?>
      <li><a href="/specialists">Specialists</a></li>
      <li><a href="/account">Account</a></li>
      <li><form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="<?cs var:Csrf.Token ?>"><button type="submit" class="link">Log out</button></form></li>
    <?cs else ?>
      <li><a href="/specialists">Specialists</a></li>
      <li><a href="/login">Log in</a></li>
      <li><a class="button small" href="/signup">Create an account</a></li>
    <?cs /if ?>
    </ul>
  </nav>
</header>
<?cs if:Flash.Message ?><div class="flash <?cs var:Flash.Kind ?>" role="status"><?cs var:Flash.Message ?></div><?cs /if ?>
<div id="idle-warning" class="idle-warning" role="alertdialog" aria-labelledby="idle-title" aria-describedby="idle-text" hidden>
  <h2 id="idle-title">Are you still there?</h2>
  <p id="idle-text">You have not done anything for a while. To protect your information, we will sign you out in <strong id="idle-remaining">2 minutes</strong>. Anything you have not saved will be lost.</p>
  <button type="button" id="idle-continue">Stay signed in</button>
  <p id="idle-error" class="field-error" hidden>We could not keep you signed in. Please sign in again.</p>
</div>
<main id="main" tabindex="-1">
<?cs call:content() ?>
</main>
<footer class="site">
  <p>secondop — second opinions on breast imaging. Your records are encrypted and every access to them is recorded.</p>
</footer>
</body>
</html>
