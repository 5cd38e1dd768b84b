<?cs include:"_macros.cs" ?>
<?cs include:"_tokens.cs" ?>
<?cs def:content() ?>
<section>
<h1>Connect an imaging program</h1>
<p>Some imaging programs can open your images straight from the portal: a radiologist's viewing
workstation, or viewers such as OHIF or Weasis. Such a program does not use your password. Instead
you make a <strong>key</strong> here (it is also called an access token) and paste it into the program.</p>
<ul>
  <li>The program sees only the images you can see here, and it cannot change anything.</li>
  <li>The key stops working on the day you choose, or at once when you remove it below.</li>
  <li>Every time a program uses the key, the portal writes down when, from where and what it opened.</li>
</ul>
<?cs if:?NewToken.Value ?>
<div class="card new-token" id="new-token" role="status">
<h2>Your new key for “<?cs var:NewToken.Label ?>”</h2>
<p><strong>Copy it now.</strong> We show it only this once: we keep only a scrambled fingerprint of it, so
nobody (not even the center) can show it to you again. If you lose it, remove it below and make a new one.</p>
<label for="new-token-value">Key</label>
<input id="new-token-value" type="text" readonly value="<?cs var:NewToken.Value ?>" autocomplete="off" spellcheck="false" aria-describedby="new-token-hint">
<p class="hint" id="new-token-hint">To copy: click in the box, select all (Ctrl+A, or ⌘+A on a Mac) and copy (Ctrl+C, or ⌘+C).
Keep it as secret as a password: anyone who has it can open your images.</p>
<?cs if:?Tokens.ServiceUrl ?>
<p>In the program, enter this address as the DICOMweb server (for QIDO-RS and WADO-RS):
<code class="service-url"><?cs var:Tokens.ServiceUrl ?></code>, and choose “Bearer token” (or an
“Authorization” header of <code>Bearer</code> followed by a space and the key) as the way to log in.</p>
<?cs /if ?>
</div>
<?cs /if ?>
<h2 id="keys">Your keys</h2>
<?cs call:tokens_list() ?>
<h2 id="make">Make a new key</h2>
<form method="post" action="/account/tokens" novalidate class="narrow">
  <?cs call:csrf_field() ?>
  <?cs call:text_field("label", "Name of the program", "text", "off", "So you recognise it later, for example “Weasis on my laptop”.") ?>
  <div class="field<?cs if:Form.Errors.days ?> has-error<?cs /if ?>">
    <label for="f-days">Works for how many days</label>
    <p class="hint" id="days-hint">From 1 to <?cs var:Tokens.MaxDays ?> days. After that the program has to be given a new key.</p>
    <input id="f-days" name="days" type="number" min="1" max="<?cs var:Tokens.MaxDays ?>" inputmode="numeric" value="<?cs var:Form.Values.days ?>"<?cs if:Form.Errors.days ?> aria-invalid="true" aria-describedby="days-error"<?cs else ?> aria-describedby="days-hint"<?cs /if ?>>
    <?cs call:field_error("days") ?>
  </div>
  <?cs if:?Tokens.MayStore ?>
  <div class="field<?cs if:Form.Errors.can_store ?> has-error<?cs /if ?>">
    <label><input type="checkbox" name="can_store" value="1"<?cs if:?Form.Values.can_store ?> checked<?cs /if ?>> Also let the program send studies to the portal (STOW-RS, for the center's own systems)</label>
    <?cs call:field_error("can_store") ?>
  </div>
  <?cs else ?>
  <?cs call:field_error("can_store") ?>
  <?cs /if ?>
  <button type="submit">Make the key</button>
</form>
<p><a href="/account">Back to your account</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
