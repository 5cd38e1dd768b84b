<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<h1>Specialist directory</h1>
<p><a class="button" href="/admin/specialists/new">Add a specialist</a>
   <a class="button secondary" href="/admin/specialists/import">Import a CSV file</a>
   <a class="button secondary" href="/admin/specialists/export">Export as CSV</a></p>
<form method="get" action="/admin/specialists" class="search" role="search">
  <div class="field<?cs if:Form.Errors.q ?> has-error<?cs /if ?>">
    <label for="f-q">Search by name, institution, city or id</label>
    <input type="search" id="f-q" name="q" value="<?cs var:Form.Values.q ?>"<?cs if:Form.Errors.q ?> aria-invalid="true" aria-describedby="q-error"<?cs /if ?>>
    <?cs call:field_error("q") ?>
  </div>
  <button type="submit">Search</button>
</form>
<h2><?cs var:Result.Total ?> specialist<?cs if:Result.Total != 1 ?>s<?cs /if ?><?cs if:Form.Values.q ?> matching “<?cs var:Form.Values.q ?>”<?cs /if ?></h2>
<?cs if:Result.Total > 0 ?>
<table class="responsive">
  <thead><tr><th scope="col">Name</th><th scope="col">Institution</th><th scope="col">Id</th><th scope="col">Status</th></tr></thead>
  <tbody>
  <?cs each:s = Specialists ?>
    <tr>
      <td><a href="/admin/specialists/<?cs var:s.Id ?>"><?cs var:s.Name ?>, <?cs var:s.Credentials ?></a></td>
      <td><?cs var:s.Institution ?>, <?cs var:s.City ?>, <?cs var:s.State ?></td>
      <td><code><?cs var:s.ExternalId ?></code></td>
      <td><?cs if:!s.Active ?><span class="badge warn">Deactivated</span><?cs elif:!s.Accepting ?><span class="badge">Not accepting</span><?cs else ?><span class="badge good">Listed</span><?cs /if ?></td>
    </tr>
  <?cs /each ?>
  </tbody>
</table>
<nav class="paging" aria-label="Pages">
  <?cs if:Paging.PrevHref ?><a class="button secondary" rel="prev" href="<?cs var:url_validate(Paging.PrevHref) ?>">Previous page</a><?cs /if ?>
  <?cs if:Paging.Pages > 1 ?><span>Page <?cs var:Paging.Page ?> of <?cs var:Paging.Pages ?></span><?cs /if ?>
  <?cs if:Paging.NextHref ?><a class="button secondary" rel="next" href="<?cs var:url_validate(Paging.NextHref) ?>">Next page</a><?cs /if ?>
</nav>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
