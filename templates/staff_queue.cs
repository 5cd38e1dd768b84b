<?cs include:"_macros.cs" ?>
<?cs include:"_communication_tasks.cs" ?>
<?cs def:content() ?>
<h1>Triage queue</h1>
<?cs call:communication_tasks_queue() ?>
<p class="muted">Most urgent first: (1) proven cancer with treatment within 14 days; (2) BI-RADS 5 or 4C, or proven cancer; (3) BI-RADS 4, 4A, 4B or a biopsy result pending; (4) BI-RADS 0, or no category given; (5) BI-RADS 3; (6) BI-RADS 1 or 2, or a benign biopsy that fits the first read. The verified first read counts once staff or the reviewer checked it; until then, the patient's answers. Within each, an upcoming treatment date first, then the longest wait. Reports ready with a second read that found more reason for concern come first in the release queue.</p>
<nav aria-label="Requests per status" class="counts">
  <ul class="inline-list">
  <?cs each:c = Queue.Counts ?><li><a href="/staff/queue?status=<?cs var:url_escape(c.status) ?>"<?cs if:Filter.status == c.status ?> aria-current="page"<?cs /if ?>><?cs var:c.label ?> <span class="badge"><?cs var:c.n ?></span></a></li><?cs /each ?>
  <li><a href="/staff/queue?overdue=1">Overdue <span class="badge warn"><?cs var:Queue.Overdue ?></span></a></li>
  <li><a href="/staff/queue?status=all">Everything</a></li>
  </ul>
</nav>
<form method="get" action="/staff/queue" class="filters card">
  <?cs if:Form.ErrorCount ?><div class="flash error" role="alert"><p>A filter was not valid: the open requests are shown without filters. See the message below the filter.</p></div><?cs /if ?>
  <div class="field<?cs if:Form.Errors.q ?> has-error<?cs /if ?>"><label for="f-q">Search by reference or patient name</label>
    <input id="f-q" name="q" type="search" value="<?cs var:Filter.q ?>" maxlength="100"<?cs call:field_attrs("q", "") ?>><?cs call:field_error("q") ?></div>
  <div class="field<?cs if:Form.Errors.status ?> has-error<?cs /if ?>"><label for="f-status">Status</label>
    <select id="f-status" name="status"<?cs call:field_attrs("status", "") ?>>
      <option value="">Open requests</option>
      <option value="all"<?cs if:Filter.status == "all" ?> selected<?cs /if ?>>Everything</option>
      <?cs each:c = Queue.Counts ?><option value="<?cs var:c.status ?>"<?cs if:Filter.status == c.status ?> selected<?cs /if ?>><?cs var:c.label ?></option><?cs /each ?>
    </select><?cs call:field_error("status") ?></div>
  <div class="field<?cs if:Form.Errors.priority ?> has-error<?cs /if ?>"><label for="f-priority">Priority</label>
    <select id="f-priority" name="priority"<?cs call:field_attrs("priority", "") ?>>
      <option value="">Any</option>
      <?cs each:p = Priorities ?><option value="<?cs var:p.n ?>"<?cs if:Filter.priority == p.n ?> selected<?cs /if ?>><?cs var:p.label ?></option><?cs /each ?>
    </select><?cs call:field_error("priority") ?></div>
  <div class="field<?cs if:Form.Errors.specialist ?> has-error<?cs /if ?>"><label for="f-specialist">Specialist</label>
    <select id="f-specialist" name="specialist"<?cs call:field_attrs("specialist", "") ?>>
      <option value="">Any</option>
      <?cs each:s = Specialists ?><option value="<?cs var:s.id ?>"<?cs if:Filter.specialist == s.id ?> selected<?cs /if ?>><?cs var:s.full_name ?></option><?cs /each ?>
    </select><?cs call:field_error("specialist") ?></div>
  <div class="check"><input type="checkbox" id="f-overdue" name="overdue" value="1"<?cs if:Filter.overdue ?> checked<?cs /if ?><?cs call:field_attrs("overdue", "") ?>><label for="f-overdue">Overdue only</label></div><?cs call:field_error("overdue") ?>
  <div class="check"><input type="checkbox" id="f-incomplete" name="incomplete" value="1"<?cs if:Filter.incomplete ?> checked<?cs /if ?><?cs call:field_attrs("incomplete", "") ?>><label for="f-incomplete">Incomplete only</label></div><?cs call:field_error("incomplete") ?>
  <?cs if:Form.Errors.page ?><?cs call:field_error("page") ?><?cs /if ?>
  <button type="submit">Show</button>
</form>
<p><?cs if:Queue.MoreThan == "1" ?>More than <?cs var:Queue.Total ?> requests match.<?cs else ?><?cs var:Queue.Total ?> request<?cs if:Queue.Total != "1" ?>s<?cs /if ?> match.<?cs /if ?></p>
<?cs if:subcount(Queue.Rows) ?>
<div class="table-scroll">
<table class="queue">
  <caption class="visually-hidden">Requests, most urgent first</caption>
  <thead><tr><th scope="col">Priority</th><th scope="col">Reference</th><th scope="col">Patient</th><th scope="col">Status</th><th scope="col">First read</th><th scope="col">Treatment date</th><th scope="col">Submitted</th><th scope="col">Due</th><th scope="col">Specialist</th><th scope="col">Claimed by</th></tr></thead>
  <tbody>
  <?cs each:row = Queue.Rows ?>
  <tr class="prio-<?cs var:row.priority ?><?cs if:row.is_overdue == "1" ?> overdue<?cs /if ?>" data-request-id="<?cs var:row.id ?>">
    <td><span class="badge prio-<?cs var:row.priority ?>"><?cs var:row.priority_label ?></span><?cs if:row.is_release_first == "1" ?> <strong class="badge warn">Release first: more reason for concern</strong><?cs /if ?></td>
    <td><a href="/staff/requests/<?cs var:row.id ?>"><?cs var:row.reference ?></a>
      <?cs if:row.flags != "0" ?><span class="badge warn" title="Eligibility rule">Check eligibility</span><?cs /if ?>
      <?cs if:row.is_incomplete == "1" ?><span class="badge">Incomplete</span><?cs /if ?>
      <?cs if:?row.unread ?><a class="badge unread" href="/staff/requests/<?cs var:row.id ?>#thread-h"><?cs var:row.unread ?> new message<?cs if:row.unread != "1" ?>s<?cs /if ?> from the patient</a><?cs /if ?></td>
    <td><?cs var:row.patient_name ?></td>
    <td><?cs var:row.status_label ?></td>
    <td><span class="first-read-cat"><?cs if:row.eff_birads != "" && row.eff_birads != "unknown" ?>BI-RADS <?cs var:row.eff_birads ?><?cs else ?>category not known<?cs /if ?></span><?cs if:row.eff_biopsy == "pending" ?>, biopsy result pending<?cs elif:row.eff_biopsy == "benign" ?>, biopsy benign<?cs elif:row.eff_biopsy == "malignant" ?>, biopsy malignant<?cs /if ?>
      <?cs if:row.is_verified == "1" ?><span class="badge">verified</span><?cs else ?><span class="badge warn">unverified: as the patient told us</span><?cs /if ?>
      <?cs if:row.is_benign_discordant == "1" ?><strong class="badge warn">benign biopsy on a suspicious read: check concordance</strong><?cs /if ?></td>
    <td><?cs if:row.treatment_date != "" ?><?cs var:row.treatment_date ?><?cs else ?>—<?cs /if ?><?cs if:row.is_treatment_passed == "1" ?> <strong class="overdue-mark">treatment date has passed — confirm</strong><?cs /if ?></td>
    <td><?cs var:row.submitted ?></td>
    <td><?cs var:row.due ?><?cs if:row.is_overdue == "1" ?> <strong class="overdue-mark">overdue</strong><?cs /if ?><?cs if:row.is_cannot_meet == "1" ?> <strong class="overdue-mark">cannot be met before the treatment date</strong><?cs /if ?></td>
    <td><?cs if:row.specialist != "" ?><?cs var:row.specialist ?><?cs else ?>—<?cs /if ?></td>
    <td><?cs if:row.claimed_by != "" ?><?cs var:row.claimed_by ?><?cs else ?>—<?cs /if ?></td>
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
