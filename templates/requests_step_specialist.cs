<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<?cs call:step_header() ?>
<form method="post" action="/requests/<?cs var:Request.Id ?>/steps/specialist" novalidate>
  <?cs call:csrf_field() ?>
  <fieldset class="rq-group<?cs if:Form.Errors.review_type ?> has-error<?cs /if ?>">
    <legend>What kind of review?</legend>
    <?cs call:radio("review_type", "reread", "Image re-read: the specialist reads your images again and writes a report") ?>
    <?cs call:radio("review_type", "consult", "Full consultation: a re-read plus a conversation with the specialist about it") ?>
    <?cs call:field_error("review_type") ?>
  </fieldset>
  <fieldset class="rq-group<?cs if:Form.Errors.review_mode ?> has-error<?cs /if ?>">
    <legend>Remote or in person?</legend>
    <?cs call:radio("review_mode", "remote", "Remote: the specialist receives your images; you do not travel") ?>
    <?cs call:radio("review_mode", "in_person", "In person: you visit the specialist") ?>
    <?cs call:field_error("review_mode") ?>
  </fieldset>
  <fieldset class="rq-group<?cs if:Form.Errors.specialist ?> has-error<?cs /if ?>">
    <legend>Who should review your images?</legend>
    <?cs if:Request.ParentSpecialist ?><p class="notice">For a third opinion, choose someone other than <?cs var:Request.ParentSpecialist ?>, who wrote the second report.</p><?cs /if ?>
    <?cs call:radio("specialist", "center", "Let the center choose a breast radiologist for me") ?>
    <p class="hint">Or choose from the <a href="/specialists">specialist directory</a>, where you can compare them:</p>
    <ul class="rq-specialists">
    <?cs each:s = Specialists ?>
      <li><div class="check"><input type="radio" id="f-specialist-<?cs var:s.Id ?>" name="specialist" value="<?cs var:s.Id ?>"<?cs if:Form.Values.specialist == s.Id ?> checked<?cs /if ?><?cs if:!s.Accepting ?> disabled<?cs /if ?> aria-describedby="spec-<?cs var:s.Id ?>-about"><label for="f-specialist-<?cs var:s.Id ?>"><?cs var:s.Name ?>, <?cs var:s.Credentials ?></label></div>
        <p class="hint" id="spec-<?cs var:s.Id ?>-about"><?cs var:s.Institution ?>, <?cs var:s.Place ?>. <?cs var:s.Modes ?>. Usually <?cs var:s.Days ?> days.<?cs if:s.FeeReread != "" ?> Re-read <?cs var:s.FeeReread ?>.<?cs /if ?><?cs if:s.FeeConsult != "" ?> Consultation <?cs var:s.FeeConsult ?>.<?cs /if ?><?cs if:!s.Accepting ?> Not taking new requests.<?cs /if ?> <a href="/specialists/<?cs var:s.Id ?>">More about <?cs var:s.Name ?></a></p></li>
    <?cs /each ?>
    </ul>
    <?cs call:field_error("specialist") ?>
  </fieldset>
  <?cs call:step_buttons() ?>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
