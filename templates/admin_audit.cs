<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<h1>Audit log</h1>
<p>Every sign-in, account change and look at patient records leaves a row here. Rows cannot be changed or removed.
Your own viewing of this page is recorded too.</p>

<form method="get" action="/admin/audit" class="card" aria-label="Filter the audit log">
  <?cs call:text_field("actor", "Who acted", "text", "off", "A user number, or their e-mail address.") ?>
  <?cs call:text_field("patient", "Whose records", "text", "off", "The patient's user number.") ?>
  <?cs call:text_field("action", "Action", "text", "off", "For example request.view. End with a dot (login.) to match a whole family.") ?>
  <?cs call:text_field("since", "From (date, your time zone)", "date", "off", "") ?>
  <?cs call:text_field("until", "To (date, your time zone, included)", "date", "off", "") ?>
  <p><button type="submit">Show matching rows</button> <a class="button secondary" href="/admin/audit">Clear filters</a></p>
</form>

<?cs if:Form.Errors.page ?><p class="field-error" role="alert"><?cs var:Form.Errors.page ?></p><?cs /if ?>
<?cs if:Audit.Invalid ?>
<p role="alert">Please correct the highlighted filters; nothing was searched.</p>
<?cs else ?>
<p role="status"><?cs var:Audit.Total ?> matching rows<?cs if:Audit.Pages > 1 ?> · page <?cs var:Audit.Page ?> of <?cs var:Audit.Pages ?><?cs /if ?>.
  <a href="<?cs var:url_validate(Audit.CsvUrl) ?>">Download these rows as CSV</a></p>
<?cs if:Audit.Count > 0 ?>
<table class="responsive">
  <caption>Newest first</caption>
  <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Object</th><th scope="col">Patient</th><th scope="col">Outcome</th><th scope="col">From</th><th scope="col">Details</th></tr></thead>
  <tbody>
  <?cs each:row = Audit.Rows ?>
  <tr>
    <td>#<?cs var:row.Id ?></td>
    <td><?cs var:row.At ?></td>
    <td><?cs if:row.ActorId ?><?cs if:row.ActorName ?><?cs var:row.ActorName ?> <?cs /if ?>(user <?cs var:row.ActorId ?><?cs if:row.ActorEmail ?>, <?cs var:row.ActorEmail ?><?cs /if ?>)<?cs else ?>nobody signed in<?cs /if ?> · <?cs var:row.Role ?></td>
    <td><code><?cs var:row.Action ?></code></td>
    <td><?cs if:row.ObjectType ?><?cs var:row.ObjectType ?> <?cs var:row.ObjectId ?><?cs /if ?></td>
    <td><?cs if:row.Patient ?>patient <?cs var:row.Patient ?><?cs /if ?></td>
    <td><span class="badge"><?cs var:row.Outcome ?></span></td>
    <td><?cs if:row.Ip ?><?cs var:row.Ip ?><?cs /if ?><?cs if:row.Request ?> · request <?cs var:row.Request ?><?cs /if ?></td>
    <td><?cs if:row.Detail ?><code><?cs var:row.Detail ?></code><?cs /if ?></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
<nav aria-label="Pages">
  <?cs if:Audit.PrevUrl ?><a class="button secondary small" href="<?cs var:url_validate(Audit.PrevUrl) ?>" rel="prev">Newer rows</a><?cs /if ?>
  <?cs if:Audit.NextUrl ?><a class="button secondary small" href="<?cs var:url_validate(Audit.NextUrl) ?>" rel="next">Older rows</a><?cs /if ?>
</nav>
<?cs else ?>
<p>No rows match these filters.</p>
<?cs /if ?>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
