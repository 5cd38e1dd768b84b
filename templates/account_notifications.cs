<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<p><a href="/account">← Account</a></p>
<h1>E-mail notifications</h1>
<p>Our e-mails only say that something changed and ask you to log in. They never contain medical details.</p>
<form method="post" action="/account/notifications"><?cs call:csrf_field() ?>
<fieldset><legend>Send me an e-mail when…</legend>
<?cs each:p = Prefs ?><div class="check"><input type="checkbox" id="n-<?cs var:p.kind ?>" name="<?cs var:p.kind ?>" value="yes"<?cs if:p.on == "1" ?> checked<?cs /if ?>><label for="n-<?cs var:p.kind ?>"><?cs var:p.label ?></label></div><?cs /each ?>
</fieldset>
<p class="hint">E-mails about your account itself (password reset, sign-in alerts) are always sent.</p>
<button type="submit">Save</button>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
