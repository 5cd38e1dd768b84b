<?cs # Shared form macros. Every value goes through the global HTML escaping. ?>
<?cs def:field_error(name) ?><?cs if:Form.Errors[name] ?><p class="field-error" id="<?cs var:name ?>-error"><?cs var:Form.Errors[name] ?></p><?cs /if ?><?cs /def ?>
<?cs def:text_field(name, label, type, autocomplete, hint) ?>
<div class="field<?cs if:Form.Errors[name] ?> has-error<?cs /if ?>">
  <label for="f-<?cs var:name ?>"><?cs var:label ?></label>
  <?cs if:hint ?><p class="hint" id="<?cs var:name ?>-hint"><?cs var:hint ?></p><?cs /if ?>
  <input id="f-<?cs var:name ?>" name="<?cs var:name ?>" type="<?cs var:type ?>" value="<?cs var:Form.Values[name] ?>"<?cs if:autocomplete ?> autocomplete="<?cs var:autocomplete ?>"<?cs /if ?><?cs if:Form.Errors[name] ?> aria-invalid="true" aria-describedby="<?cs var:name ?>-error"<?cs elif:hint ?> aria-describedby="<?cs var:name ?>-hint"<?cs /if ?>>
  <?cs call:field_error(name) ?>
</div>
<?cs /def ?>
<?cs def:csrf_field() ?><input type="hidden" name="csrf" value="<?cs var:Csrf.Token ?>"><?cs /def ?>
<?cs # The field macros of the form layer (server/core/form.h, routes/form_view.h): a label, the
     field, and its error next to it (aria-invalid, aria-describedby); the value typed is echoed
     from Form.Values (secret fields are never put there). Values are compared as strings:
     "0" is a value, not false. ?>
<?cs def:field_attrs(name, hint) ?><?cs if:Form.Errors[name] ?> aria-invalid="true" aria-describedby="<?cs var:name ?>-error"<?cs elif:hint ?> aria-describedby="<?cs var:name ?>-hint"<?cs /if ?><?cs /def ?>
<?cs def:multiline_field(name, label, rows, maxlength, hint) ?>
<div class="field<?cs if:Form.Errors[name] ?> has-error<?cs /if ?>">
  <label for="f-<?cs var:name ?>"><?cs var:label ?></label>
  <?cs if:hint ?><p class="hint" id="<?cs var:name ?>-hint"><?cs var:hint ?></p><?cs /if ?>
  <textarea id="f-<?cs var:name ?>" name="<?cs var:name ?>" rows="<?cs var:rows ?>"<?cs if:maxlength ?> maxlength="<?cs var:maxlength ?>"<?cs /if ?><?cs call:field_attrs(name, hint) ?>><?cs var:Form.Values[name] ?></textarea>
  <?cs call:field_error(name) ?>
</div>
<?cs /def ?>
<?cs def:tick_field(name, label) ?>
<div class="check<?cs if:Form.Errors[name] ?> has-error<?cs /if ?>"><input type="checkbox" id="f-<?cs var:name ?>" name="<?cs var:name ?>" value="1"<?cs if:Form.Values[name] == "1" ?> checked<?cs /if ?><?cs call:field_attrs(name, "") ?>><label for="f-<?cs var:name ?>"><?cs var:label ?></label></div>
<?cs call:field_error(name) ?>
<?cs /def ?>
