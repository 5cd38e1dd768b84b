<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<?cs call:step_header() ?>
<p>This is what the specialist needs. The list follows your answers: for example, a pathology report is only needed when a biopsy was done.</p>
<?cs call:checklist() ?>
<p><a class="button" href="/requests/<?cs var:Request.Id ?>/records">Upload records</a></p>

<section aria-labelledby="letter-h" class="rq-box">
  <h2 id="letter-h">Ask your first facility for your records</h2>
  <p>If you do not have your images on a disc, the facility where your exam was done must send them. We prepared a letter you can print, sign and send to its medical-records department.</p>
  <p><a href="/requests/<?cs var:Request.Id ?>/letter">Print the records-request letter</a></p>
  <?cs if:Request.RecordsRequested ?>
  <p>You sent the letter on <?cs var:Request.RecordsRequested ?>. The facility should send your records by <strong><?cs var:Request.RecordsDue ?></strong> (30 days<?cs if:Request.RecordsExtended ?>, plus its one 30-day extension<?cs /if ?>).</p>
  <?cs if:!Request.RecordsExtended ?>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/letter/extend" class="inline">
    <?cs call:csrf_field() ?>
    <button type="submit" class="secondary small">The facility asked for more time (one 30-day extension)</button>
  </form>
  <?cs /if ?>
  <?cs /if ?>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/letter/sent">
    <?cs call:csrf_field() ?>
    <div class="field<?cs if:?Form.Errors.sent_on ?> has-error<?cs /if ?>">
      <label for="f-sent_on">I sent the letter on</label>
      <input id="f-sent_on" name="sent_on" type="date" value="<?cs if:?Form.Values.sent_on ?><?cs var:Form.Values.sent_on ?><?cs else ?><?cs var:Request.RecordsRequested ?><?cs /if ?>"<?cs if:?Form.Errors.sent_on ?> aria-invalid="true" aria-describedby="sent_on-error"<?cs /if ?>>
      <?cs call:field_error("sent_on") ?>
    </div>
    <button type="submit" class="secondary">Save the date</button>
  </form>
</section>

<form method="post" action="/requests/<?cs var:Request.Id ?>/steps/records">
  <?cs call:csrf_field() ?>
  <p class="rq-buttons"><button type="submit" name="go" value="next">Continue</button></p>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
