<?cs # Shared pieces of the request pages (patient_requests.c). ?>
<?cs def:progress() ?>
<nav class="rq-progress" aria-label="Steps of your request">
  <ol>
  <?cs each:s = Steps ?>
    <li class="<?cs if:s.Done ?>done<?cs /if ?><?cs if:s.Current ?> current<?cs /if ?>"><a href="<?cs var:url_validate(s.Href) ?>"<?cs if:s.Current ?> aria-current="step"<?cs /if ?>><?cs var:s.Label ?></a> <span class="rq-state"><?cs if:s.Done ?>(done)<?cs else ?>(to do)<?cs /if ?></span></li>
  <?cs /each ?>
  </ol>
</nav>
<?cs /def ?>
<?cs def:acting_for() ?><?cs if:?Acting.For ?><p class="flash cg-acting" role="note">You are acting for <strong><?cs var:Acting.For ?></strong> (you are the patient's <?cs var:Acting.As ?><?cs if:?Acting.Authority ?>, acting as <?cs var:Acting.Authority ?><?cs /if ?>). What you do here is recorded in your own name.<?cs if:?Acting.AuthorityState ?> Your authority: <strong><?cs var:Acting.AuthorityState ?></strong><?cs if:?Acting.AuthorityReason ?> (<?cs var:Acting.AuthorityReason ?>)<?cs /if ?>.<?cs /if ?></p><?cs /if ?><?cs /def ?>
<?cs def:step_header() ?>
<p class="rq-ref">Request <?cs var:Request.Reference ?><?cs if:Request.Parent ?> · third opinion<?cs /if ?></p>
<?cs call:acting_for() ?>
<h1><span class="rq-stepno">Step <?cs var:Step.Number ?> of <?cs var:Step.Count ?>:</span> <?cs var:Step.Label ?></h1>
<?cs call:progress() ?>
<?cs if:Page.Saved ?><p class="flash ok" role="status">Saved.</p><?cs /if ?>
<?cs if:Form.ErrorCount ?><div class="error-summary" role="alert"><p>Please check <?cs var:Form.ErrorCount ?> <?cs if:Form.ErrorCount == 1 ?>answer<?cs else ?>answers<?cs /if ?> marked below. Nothing you typed has been lost.</p></div><?cs /if ?>
<?cs /def ?>
<?cs def:step_buttons() ?>
<p class="rq-buttons">
  <button type="submit" name="go" value="next">Save and continue</button>
  <button type="submit" name="go" value="stay" class="secondary">Save as draft</button>
</p>
<?cs /def ?>
<?cs def:checklist() ?>
<ul class="rq-checklist">
<?cs each:c = Checklist ?>
  <li class="rq-item <?cs var:c.State ?> <?cs var:c.Need ?>" id="item-<?cs var:c.Key ?>">
    <span class="badge <?cs if:c.State == "done" ?>good<?cs elif:c.Need == "required" ?>warn<?cs /if ?>"><?cs if:c.State == "done" ?>Done<?cs elif:c.Need == "required" ?>Required<?cs elif:c.Need == "suggested" ?>Suggested<?cs else ?>Not needed<?cs /if ?></span>
    <strong><?cs var:c.Label ?></strong>
    <span class="rq-note"><?cs var:c.Note ?></span>
    <?cs if:c.State != "done" && c.Need != "not_needed" && Request.IsDraft ?><a href="<?cs var:url_validate(c.Href) ?>">Add it<span class="visually-hidden">: <?cs var:c.Label ?></span></a><?cs /if ?>
  </li>
<?cs /each ?>
</ul>
<?cs /def ?>
<?cs def:radio(name, value, label) ?><div class="check"><input type="radio" id="f-<?cs var:name ?>-<?cs var:value ?>" name="<?cs var:name ?>" value="<?cs var:value ?>"<?cs if:Form.Values[name] == value ?> checked<?cs /if ?><?cs if:Form.Errors[name] ?> aria-invalid="true" aria-describedby="<?cs var:name ?>-error"<?cs /if ?>><label for="f-<?cs var:name ?>-<?cs var:value ?>"><?cs var:label ?></label></div><?cs /def ?>
<?cs def:textarea_field(name, label, hint) ?>
<div class="field<?cs if:Form.Errors[name] ?> has-error<?cs /if ?>">
  <label for="f-<?cs var:name ?>"><?cs var:label ?></label>
  <?cs if:hint ?><p class="hint" id="<?cs var:name ?>-hint"><?cs var:hint ?></p><?cs /if ?>
  <textarea id="f-<?cs var:name ?>" name="<?cs var:name ?>" rows="4"<?cs if:Form.Errors[name] ?> aria-invalid="true" aria-describedby="<?cs var:name ?>-error"<?cs elif:hint ?> aria-describedby="<?cs var:name ?>-hint"<?cs /if ?>><?cs var:Form.Values[name] ?></textarea>
  <?cs call:field_error(name) ?>
</div>
<?cs /def ?>
