<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<h1>Triage queue</h1>
<p class="muted">Most urgent first: BI-RADS 4, 5, 6 or a biopsy; then 0 and 3; then 1 and 2. Within each, a scheduled treatment date first, then the longest wait.</p>
<nav aria-label="Requests per status" class="counts">
  <ul class="inline-list">
  <?cs each:c = Queue.Counts ?><li><a href="/staff/queue?status=<?cs var:url_escape(c.status) ?>"<?cs if:Filter.status == c.status ?> aria-current="page"<?cs /if ?>><?cs var:c.label ?> <span class="badge"><?cs var:c.n ?></span></a></li><?cs /each ?>
  <li><a href="/staff/queue?overdue=1">Overdue <span class="badge warn"><?cs var:Queue.Overdue ?></span></a></li>
  <li><a href="/staff/queue?status=all">Everything</a></li>
  </ul>
</nav>
<form method="get" action="/staff/queue" class="filters card">
  <div class="field"><label for="f-q">Search by reference or patient name</label>
    <input id="f-q" name="q" type="search" value="<?cs var:Filter.q ?>" maxlength="100"></div>
  <div class="field"><label for="f-status">Status</label>
    <select id="f-status" name="status">
      <option value="">Open requests</option>
      <option value="all"<?cs if:Filter.status == "all" ?> selected<?cs /if ?>>Everything</option>
      <?cs each:c = Queue.Counts ?><option value="<?cs var:c.status ?>"<?cs if:Filter.status == c.status ?> selected<?cs /if ?>><?cs var:c.label ?></option><?cs /each ?>
    </select></div>
  <div class="field"><label for="f-priority">Priority</label>
    <select id="f-priority" name="priority">
      <option value="">Any</option>
      <option value="1"<?cs if:Filter.priority == "1" ?> selected<?cs /if ?>>Urgent</option>
      <option value="2"<?cs if:Filter.priority == "2" ?> selected<?cs /if ?>>Soon</option>
      <option value="3"<?cs if:Filter.priority == "3" ?> selected<?cs /if ?>>Routine</option>
    </select></div>
  <div class="field"><label for="f-specialist">Specialist</label>
    <select id="f-specialist" name="specialist">
      <option value="">Any</option>
      <?cs each:s = Specialists ?><option value="<?cs var:s.id ?>"<?cs if:Filter.specialist == s.id ?> selected<?cs /if ?>><?cs var:s.full_name ?></option><?cs /each ?>
    </select></div>
  <div class="check"><input type="checkbox" id="f-overdue" name="overdue" value="1"<?cs if:Filter.overdue ?> checked<?cs /if ?>><label for="f-overdue">Overdue only</label></div>
  <div class="check"><input type="checkbox" id="f-incomplete" name="incomplete" value="1"<?cs if:Filter.incomplete ?> checked<?cs /if ?>><label for="f-incomplete">Incomplete only</label></div>
  <button type="submit">Show</button>
</form>
<p><?cs var:Queue.Total ?> request<?cs if:Queue.Total != 1 ?>s<?cs /if ?> match.</p>
<?cs if:subcount(Queue.Rows) ?>
<div class="table-scroll">
<table class="queue">
  <caption class="visually-hidden">Requests, most urgent first</caption>
  <thead><tr><th scope="col">Priority</th><th scope="col">Reference</th><th scope="col">Patient</th><th scope="col">Status</th><th scope="col">First read</th><th scope="col">Treatment date</th><th scope="col">Submitted</th><th scope="col">Due</th><th scope="col">Specialist</th><th scope="col">Claimed by</th></tr></thead>
  <tbody>
  <?cs each:row = Queue.Rows ?>
  <tr class="prio-<?cs var:row.priority ?><?cs if:row.is_overdue == "1" ?> overdue<?cs /if ?>" data-request-id="<?cs var:row.id ?>">
    <td><span class="badge prio-<?cs var:row.priority ?>"><?cs var:row.priority_label ?></span></td>
    <td><a href="/staff/requests/<?cs var:row.id ?>"><?cs var:row.reference ?></a>
      <?cs if:row.flags != "0" ?><span class="badge warn" title="Eligibility rule">Check eligibility</span><?cs /if ?>
      <?cs if:row.is_incomplete == "1" ?><span class="badge">Incomplete</span><?cs /if ?></td>
    <td><?cs var:row.patient_name ?></td>
    <td><?cs var:row.status_label ?></td>
    <td><?cs if:row.birads ?>BI-RADS <?cs var:row.birads ?><?cs else ?>not given<?cs /if ?><?cs if:row.biopsy == "t" ?>, biopsy done<?cs /if ?></td>
    <td><?cs if:string.length(row.treatment_date) ?><?cs var:row.treatment_date ?><?cs else ?>—<?cs /if ?></td>
    <td><?cs var:row.submitted ?></td>
    <td><?cs var:row.due ?><?cs if:row.is_overdue == "1" ?> <strong class="overdue-mark">overdue</strong><?cs /if ?></td>
    <td><?cs if:string.length(row.specialist) ?><?cs var:row.specialist ?><?cs else ?>—<?cs /if ?></td>
    <td><?cs if:string.length(row.claimed_by) ?><?cs var:row.claimed_by ?><?cs else ?>—<?cs /if ?></td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
</div>
<nav class="pager" aria-label="Pages">
  <?cs if:Queue.Prev ?><a href="/staff/queue?<?cs var:Filter.Qs ?>&amp;q=<?cs var:url_escape(Filter.q) ?>&amp;page=<?cs var:Queue.Prev ?>">Previous page</a><?cs /if ?>
  <span>Page <?cs var:Queue.Page ?></span>
  <?cs if:Queue.Next ?><a href="/staff/queue?<?cs var:Filter.Qs ?>&amp;q=<?cs var:url_escape(Filter.q) ?>&amp;page=<?cs var:Queue.Next ?>">Next page</a><?cs /if ?>
</nav>
<?cs else ?>
<p class="card">No request matches these filters.</p>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
