<?cs def:content() ?>
<h1>My cases</h1>
<?cs if:subcount(Cases) ?>
<div class="table-scroll"><table>
<caption class="visually-hidden">Cases assigned to you, open ones first</caption>
<thead><tr><th scope="col">Reference</th><th scope="col">Priority</th><th scope="col">Status</th><th scope="col">First read</th><th scope="col">Review</th><th scope="col">Due</th><th scope="col">Report</th></tr></thead>
<tbody><?cs each:c = Cases ?><tr<?cs if:c.overdue == "t" ?> class="overdue"<?cs /if ?>>
  <td><a href="/reviewer/cases/<?cs var:c.id ?>"><?cs var:c.reference ?></a><?cs if:c.unread != "0" && ?c.unread ?> <a class="badge unread" href="/reviewer/cases/<?cs var:c.id ?>#thread-h"><?cs var:c.unread ?> new message<?cs if:c.unread != "1" ?>s<?cs /if ?> from the patient</a><?cs /if ?></td>
  <td><span class="badge prio-<?cs var:c.priority ?>"><?cs var:c.priority_label ?></span></td>
  <td><?cs var:c.status_label ?></td>
  <td><?cs var:c.BiradsLabel ?><?cs if:c.verified != "t" ?> <span class="badge warn">unverified</span><?cs /if ?><?cs if:c.treatment_date != "" ?><br>Treatment <?cs var:c.treatment_date ?><?cs if:c.treatment_passed == "t" ?> <strong class="overdue-mark">treatment date has passed — confirm</strong><?cs /if ?><?cs /if ?></td>
  <td><?cs if:c.review_type == "reread" ?>written second reading<?cs elif:c.review_type == "consult" ?>consultation<?cs elif:string.length(c.review_type) ?><?cs var:c.review_type ?><?cs else ?>—<?cs /if ?></td>
  <td><?cs var:c.due ?><?cs if:c.overdue == "t" ?> <strong class="overdue-mark">overdue</strong><?cs /if ?><?cs if:c.due_cannot_meet == "t" ?> <strong class="overdue-mark">cannot be met before the treatment date</strong><?cs /if ?></td>
  <td><?cs if:c.report_status == "draft" ?>draft<?cs elif:c.report_status == "signed" ?>signed<?cs elif:string.length(c.report_status) ?><?cs var:c.report_status ?><?cs else ?>not started<?cs /if ?></td>
</tr><?cs /each ?></tbody></table></div>
<?cs else ?><p class="card">No case is assigned to you yet. You will get an e-mail when one is.</p><?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
