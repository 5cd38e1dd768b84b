<section class="card" aria-labelledby="pacs-h" id="pacs" data-pacs-progress="/requests/<?cs var:Case.id ?>/pacs-sends.json"><h2 id="pacs-h">Send to our PACS</h2>
<?cs if:subcount(Pacs.Destinations) ?>
<form method="post" action="/requests/<?cs var:Case.id ?>/pacs-sends" novalidate><?cs call:csrf_field() ?>
<div class="field<?cs if:Form.Errors.pacs_destination ?> has-error<?cs /if ?>">
  <label for="f-pacs_destination">Send to</label>
  <select id="f-pacs_destination" name="destination"<?cs if:Form.Errors.pacs_destination ?> aria-invalid="true" aria-describedby="pacs_destination-error"<?cs /if ?>>
  <?cs each:d = Pacs.Destinations ?><option value="<?cs var:d.id ?>"><?cs var:d.name ?></option><?cs /each ?>
  </select>
  <?cs call:field_error("pacs_destination") ?>
</div>
<div class="field">
  <label for="f-pacs_study">What to send</label>
  <select id="f-pacs_study" name="study">
  <option value="all">Every image of this request</option>
  <?cs each:s = Studies ?><option value="<?cs var:s.id ?>">Only the study of <?cs var:s.study_date ?><?cs if:string.length(s.description) ?> (<?cs var:s.description ?>)<?cs /if ?></option><?cs /each ?>
  </select>
</div>
<?cs if:Form.Errors.pacs_send ?><p class="field-error" id="pacs-send-error" role="alert"><?cs var:Form.Errors.pacs_send ?></p><?cs /if ?>
<button type="submit"<?cs if:Form.Errors.pacs_send ?> aria-describedby="pacs-send-error"<?cs /if ?>>Send to our PACS</button>
</form>
<?cs else ?>
<p>No PACS is set up yet: an administrator adds one in the center settings.</p>
<?cs /if ?>
<?cs if:subcount(Pacs.Sends) ?>
<h3>Sent so far</h3>
<ul class="pacs-sends">
<?cs each:p = Pacs.Sends ?><li data-send-id="<?cs var:p.id ?>" data-state="<?cs var:p.state ?>">
  <strong><?cs if:string.length(p.study_uid) ?>The study of <?cs var:p.study_date ?><?cs else ?>The whole request<?cs /if ?> to <?cs var:p.destination_name ?></strong>, started by <?cs var:p.sender ?> on <?cs var:p.created_at ?>.
  <br><progress max="<?cs var:p.total ?>" value="<?cs var:p.answered ?>" aria-label="Images sent to <?cs var:p.destination_name ?>"><?cs var:p.percent ?>%</progress>
  <span class="pacs-count"><?cs var:p.answered ?> of <?cs var:p.total ?> sent</span> —
  <span class="pacs-state"><?cs if:p.state == "retrying" ?>Waiting to retry<?cs if:string.length(p.next_try_at) ?> at <?cs var:p.next_try_at ?><?cs /if ?><?cs if:string.length(p.failure) ?> (<?cs var:p.failure ?>)<?cs /if ?><?cs elif:p.state == "failed" ?>Failed: <?cs var:p.failure ?><?cs elif:p.state == "stopped" ?>Stopped: <?cs var:p.failure ?><?cs elif:p.state == "done" ?>Done: <?cs var:p.stored ?> stored<?cs if:p.failed != "0" ?>, <?cs var:p.failed ?> not stored<?cs /if ?><?cs else ?><?cs var:p.state_words ?><?cs /if ?></span>
  <?cs if:subcount(p.Items) ?><details><summary>What the PACS said about each image</summary>
  <ul><?cs each:it = p.Items ?><li class="pacs-item pacs-<?cs if:string.length(it.outcome) ?><?cs var:it.outcome ?><?cs else ?>pending<?cs /if ?>"><?cs var:it.modality ?> <?cs var:it.series ?> — <code><?cs var:it.sop ?></code>: <?cs var:it.words ?></li><?cs /each ?></ul>
  </details><?cs /if ?>
</li><?cs /each ?>
</ul>
<?cs /if ?>
<script src="/static/js/pacs.js" defer></script>
</section>
