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
<?cs /def ?>
<?cs include:"_layout.cs" ?>
