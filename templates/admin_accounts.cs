<?cs def:content() ?>
<section>
<h1>Accounts</h1>
<p><a class="button" href="/admin/accounts/invite">Invite a colleague</a></p>
<form method="get" action="/admin/accounts" role="search">
  <div class="field"><label for="f-q">Search by name or e-mail</label>
  <input id="f-q" name="q" type="search" value="<?cs var:Search.Q ?>"></div>
  <button type="submit" class="secondary">Search</button>
</form>
<p class="muted"><?cs var:Search.Total ?> account(s).</p>
<table class="responsive">
<thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Two-step login</th><th scope="col">Created</th></tr></thead>
<tbody>
<?cs each:a = Accounts ?>
<tr><td><a href="/admin/accounts/<?cs var:a.Id ?>"><?cs var:a.Name ?></a></td><td><?cs var:a.Email ?></td><td><?cs var:a.Role ?></td><td><?cs var:a.Status ?></td><td><?cs var:a.Totp ?></td><td><?cs var:a.Created ?></td></tr>
<?cs /each ?>
</tbody>
</table>
<nav class="pager" aria-label="Pages">
<?cs if:Search.PrevPage ?><a href="/admin/accounts?q=<?cs var:url_escape(Search.Q) ?>&amp;page=<?cs var:Search.PrevPage ?>">Previous page</a><?cs /if ?>
<?cs if:Search.NextPage ?><a href="/admin/accounts?q=<?cs var:url_escape(Search.Q) ?>&amp;page=<?cs var:Search.NextPage ?>">Next page</a><?cs /if ?>
</nav>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
