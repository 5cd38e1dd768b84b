<?cs # Communication of significant unexpected findings (server/routes/staff_communication.c).
   Own namespaces: CommTasks.* (the queue), CommTask.* (one request). Counts are
   compared as strings: a count of "0" is a value, not false. ?>
<?cs def:communication_tasks_queue() ?>
<?cs if:subcount(CommTasks.List) > 0 ?>
<section class="card notice" id="comm-tasks" aria-labelledby="comm-h"><h2 id="comm-h">Call the referring physician first</h2>
<p>A second read found a significant unexpected finding (<?cs var:CommTasks.Count ?> open<?cs if:CommTasks.Overdue != "0" ?>, <strong><?cs var:CommTasks.Overdue ?> overdue</strong><?cs /if ?>). Record the call before the report can be released.</p>
<ul><?cs each:t = CommTasks.List ?><li<?cs if:t.overdue == "t" ?> class="overdue"<?cs /if ?>><a href="/staff/requests/<?cs var:t.request_id ?>#comm-task"><?cs var:t.reference ?></a> — <?cs var:t.patient_name ?>, due <?cs var:t.due_at ?><?cs if:t.overdue == "t" ?> <strong class="overdue-mark">overdue</strong><?cs /if ?></li><?cs /each ?></ul>
</section>
<?cs /if ?>
<?cs /def ?>
<?cs def:communication_task_request() ?>
<?cs if:CommTask.Exists == "1" ?>
<section class="card notice" id="comm-task" aria-labelledby="comm-task-h"><h2 id="comm-task-h">Significant unexpected finding: reach the referring physician</h2>
<?cs if:CommTask.logged == "t" ?>
<p id="comm-task-done">Reached <?cs var:CommTask.reached_whom ?> on <?cs var:CommTask.reached_at ?> (<?cs var:CommTask.HowLabel ?>); recorded by <?cs var:CommTask.logged_by_name ?> on <?cs var:CommTask.logged_at ?>.</p>
<?cs if:CommTask.note != "" ?><p class="pre"><?cs var:CommTask.note ?></p><?cs /if ?>
<?cs else ?>
<p>The second read recommends a biopsy or treatment and the first read did not. Tell the referring physician directly, then record it here. The report cannot be released before. Due <?cs var:CommTask.due_at ?><?cs if:CommTask.overdue == "t" ?> <strong class="overdue-mark">overdue</strong><?cs /if ?>.</p>
<?cs if:Form.Errors.communication ?><p class="field-error" id="communication-error"><?cs var:Form.Errors.communication ?></p><?cs /if ?>
<form method="post" action="/staff/requests/<?cs var:Case.id ?>/communication" id="comm-form"><?cs call:csrf_field() ?>
  <?cs call:text_field("whom", "Who was reached (the physician's name)", "text", "off", "") ?>
  <?cs call:text_field("at", "When (date and time, your time zone)", "datetime-local", "off", "") ?>
  <div class="field<?cs if:Form.Errors.how ?> has-error<?cs /if ?>"><label for="f-how">How</label>
  <select id="f-how" name="how"<?cs call:field_attrs("how", "") ?>><option value="">Choose…</option>
  <option value="phone"<?cs if:Form.Values.how == "phone" ?> selected<?cs /if ?>>Phone call</option>
  <option value="in_person"<?cs if:Form.Values.how == "in_person" ?> selected<?cs /if ?>>In person</option>
  <option value="secure_message"<?cs if:Form.Values.how == "secure_message" ?> selected<?cs /if ?>>Secure message, read receipt confirmed</option>
  <option value="fax"<?cs if:Form.Values.how == "fax" ?> selected<?cs /if ?>>Fax, receipt confirmed by phone</option>
  </select><?cs call:field_error("how") ?></div>
  <?cs # "note" is also the internal note's name on this page: only this form's own error and text ?>
  <?cs if:Form.Action == "communication" ?>
  <div class="field<?cs if:Form.Errors.note ?> has-error<?cs /if ?>"><label for="f-note-comm">Note (optional)</label>
  <textarea id="f-note-comm" name="note" rows="2" maxlength="2000"<?cs call:field_attrs("note", "") ?>><?cs var:Form.Values.note ?></textarea><?cs call:field_error("note") ?></div>
  <?cs else ?>
  <div class="field"><label for="f-note-comm">Note (optional)</label>
  <textarea id="f-note-comm" name="note" rows="2" maxlength="2000"></textarea></div>
  <?cs /if ?>
  <button type="submit">Record the call</button>
</form>
<?cs /if ?>
</section>
<?cs /if ?>
<?cs /def ?>
