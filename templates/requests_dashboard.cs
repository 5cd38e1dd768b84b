<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<h1>My requests</h1>
<?cs if:subcount(Requests) ?>
<ul class="rq-cards">
<?cs each:q = Requests ?>
  <li class="rq-card">
    <h2><a href="/requests/<?cs var:q.Id ?>">Request <?cs var:q.Reference ?></a></h2>
    <p><span class="badge rq-status <?cs var:q.Status ?>"><?cs var:q.StatusLabel ?></span> <span class="rq-started">started <?cs var:q.Created ?></span><?cs if:q.Parent ?> · third opinion<?cs /if ?></p>
    <?cs if:?q.Unread && q.Unread != "0" ?><p><a class="badge unread" href="/requests/<?cs var:q.Id ?>#messages"><?cs var:q.Unread ?> new message<?cs if:q.Unread != "1" ?>s<?cs /if ?> from the center</a></p><?cs /if ?>
    <p class="rq-next">Next: <a href="<?cs var:url_validate(q.NextHref) ?>"><?cs var:q.Next ?></a></p>
    <?cs if:q.RecordsDue ?><p class="hint">Your first facility should send your records by <?cs var:q.RecordsDue ?>.</p><?cs /if ?>
    <?cs if:q.ExpectedBy ?><p class="hint">Report expected by <?cs var:q.ExpectedBy ?>.</p><?cs /if ?>
  </li>
<?cs /each ?>
</ul>
<?cs else ?>
<p>You have not started a request yet. It takes about 15 minutes; you can stop at any time and continue later.</p>
<?cs /if ?>
<p><a class="button" href="/requests/new">Start a new request</a></p>
<p><a href="/requests/for-someone">Start a request for someone you represent</a> (someone who cannot use the portal: you need a power of attorney, a guardianship or similar)</p>
<?cs if:subcount(Helping) ?>
<h2 id="helping">People you help</h2>
<?cs each:p = Helping ?>
<section class="card cg-helping" aria-labelledby="helping-<?cs var:p.PatientId ?>">
  <h3 id="helping-<?cs var:p.PatientId ?>"><?cs var:p.Name ?></h3>
  <p class="hint">You help <?cs var:p.Name ?> as the patient's <?cs var:p.As ?><?cs if:?p.Authority ?>, acting as <?cs var:p.Authority ?><?cs else ?>. The patient can end this at any time<?cs /if ?>.</p>
  <?cs if:subcount(p.Requests) ?>
  <ul class="rq-cards">
  <?cs each:q = p.Requests ?>
    <li class="rq-card">
      <h4><a href="/requests/<?cs var:q.Id ?>">Request <?cs var:q.Reference ?></a></h4>
      <p><span class="badge rq-status <?cs var:q.Status ?>"><?cs var:q.StatusLabel ?></span> <span class="rq-started">started <?cs var:q.Created ?></span></p>
      <p class="rq-next">Next: <a href="<?cs var:url_validate(q.NextHref) ?>"><?cs var:q.Next ?></a></p>
    </li>
  <?cs /each ?>
  </ul>
  <?cs else ?>
  <p><?cs var:p.Name ?> has no request yet.</p>
  <?cs /if ?>
  <form method="post" action="/requests/new">
    <?cs call:csrf_field() ?>
    <input type="hidden" name="for" value="<?cs var:p.PatientId ?>">
    <button type="submit" class="secondary">Start a request for <?cs var:p.Name ?></button>
  </form>
</section>
<?cs /each ?>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
