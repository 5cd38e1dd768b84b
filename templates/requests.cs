<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<h1>My requests</h1>
<?cs if:subcount(Requests) ?>
<table class="list">
  <caption>Your second-opinion requests</caption>
  <thead><tr><th scope="col">Reference</th><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Records</th></tr></thead>
  <tbody>
  <?cs each:q = Requests ?>
    <tr><td><?cs var:q.Reference ?></td><td><?cs var:q.Created ?></td><td><?cs var:q.Status ?></td>
      <td><a href="/requests/<?cs var:q.Id ?>/records">Records for <?cs var:q.Reference ?></a></td></tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs else ?>
<p>You have not started a request yet.</p>
<?cs /if ?>
<form method="post" action="/requests">
  <?cs call:csrf_field() ?>
  <button type="submit">Start a new request</button>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
