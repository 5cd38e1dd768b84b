<?cs def:content() ?>
<section class="narrow">
<h1>Check your e-mail</h1>
<p>We have sent a message to <strong><?cs var:Signup.Email ?></strong>. Open the link in it to confirm your address, then log in.</p>
<p class="muted">Nothing arrived after a few minutes? Check your spam folder. If you already have an account with this address, the message says so.</p>
<p><a class="button" href="/login">Log in</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
