<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section>
<h1>Center settings</h1>
<p><a href="/admin">Back to administration</a></p>

<h2 id="identity-h">The center on printed pages</h2>
<p>Printed reports, records-request letters and authorizations carry this name and address at the top, with the patient's name, date of birth and request reference.</p>
<form method="post" action="/admin/center/identity" novalidate><?cs call:csrf_field() ?>
<?cs call:text_field("center_name", "Name of the center", "text", "organization", "As patients know it, e.g. Riverside Breast Center") ?>
<div class="field<?cs if:Form.Errors.center_address ?> has-error<?cs /if ?>">
  <label for="f-center_address">Postal address</label>
  <p class="hint" id="center_address-hint">One line per row of the address, up to 8 lines.</p>
  <textarea id="f-center_address" name="center_address" rows="4" autocomplete="street-address"<?cs if:Form.Errors.center_address ?> aria-invalid="true" aria-describedby="center_address-error"<?cs else ?> aria-describedby="center_address-hint"<?cs /if ?>><?cs var:Form.Values.center_address ?></textarea>
  <?cs call:field_error("center_address") ?>
</div>
<button type="submit">Save the name and address</button>
</form>

<h2>Review-time targets</h2>
<p>How many days a request may take, from the moment the patient submits it to the released report. The staff queue's due dates and “overdue” marks come from these numbers. Enter a whole number of days from 1 to 90.</p>
<form method="post" action="/admin/center/targets" novalidate><?cs call:csrf_field() ?>
<?cs call:field_error("targets") ?>
<?cs each:t = Targets ?>
<?cs call:text_field(t.Field, t.Label, "number", "off", "Target in days") ?>
<?cs /each ?>
<button type="submit">Save the targets</button>
</form>

<h2>Eligibility rules</h2>
<p>A request that meets a rule that is on is flagged at the top of its staff page and in the queue. Nothing is refused automatically: staff decide.</p>
<table class="responsive">
  <thead><tr><th scope="col">Rule</th><th scope="col">What staff see</th><th scope="col">Status</th><th scope="col">Change</th></tr></thead>
  <tbody>
  <?cs each:rule = Rules ?>
    <tr>
      <td><?cs var:rule.Explain ?></td>
      <td><?cs var:rule.Message ?></td>
      <td><?cs if:rule.Enabled == "1" ?><span class="badge good">On</span><?cs else ?><span class="badge">Off</span><?cs /if ?></td>
      <td><form method="post" action="/admin/center/rules/<?cs var:rule.Kind ?>/toggle"><?cs call:csrf_field() ?>
        <button type="submit" class="secondary"><?cs if:rule.Enabled == "1" ?>Turn off<?cs else ?>Turn on<?cs /if ?></button></form></td>
    </tr>
  <?cs /each ?>
  </tbody>
</table>

<h2 id="pacs-h">PACS destinations</h2>
<p>Where staff and the reviewing radiologist can send a request's images with “Send to our PACS” (DICOMweb STOW-RS).</p>
<?cs if:subcount(PacsDest) ?>
<table class="responsive">
  <thead><tr><th scope="col">Name</th><th scope="col">Address</th><th scope="col">Sign-in</th><th scope="col">Status</th><th scope="col">Change</th></tr></thead>
  <tbody>
  <?cs each:d = PacsDest ?>
    <tr>
      <td><?cs var:d.name ?></td>
      <td><?cs var:d.base_url ?><?cs if:d.has_ca == "1" ?> (own certificate)<?cs /if ?></td>
      <td><?cs var:d.auth_words ?></td>
      <td><?cs if:d.enabled == "1" ?><span class="badge good">On</span><?cs else ?><span class="badge">Off</span><?cs /if ?></td>
      <td><a href="/admin/center/pacs/<?cs var:d.id ?>">Change<span class="visually-hidden"> <?cs var:d.name ?></span></a>
        <form method="post" action="/admin/center/pacs/<?cs var:d.id ?>/toggle"><?cs call:csrf_field() ?><button type="submit" class="secondary"><?cs if:d.enabled == "1" ?>Turn off<?cs else ?>Turn on<?cs /if ?><span class="visually-hidden"> <?cs var:d.name ?></span></button></form>
        <a href="/admin/center/pacs/<?cs var:d.id ?>#delete-h">Delete<span class="visually-hidden"> <?cs var:d.name ?></span></a></td>
    </tr>
  <?cs /each ?>
  </tbody>
</table>
<?cs else ?>
<p>No destination yet.</p>
<?cs /if ?>
<p><a class="button" href="/admin/center/pacs/new">Add a PACS destination</a></p>

<h2 id="viewer-notice-h">Image viewer</h2>
<p>The image viewer says “For review only: diagnostic reading of mammograms needs an FDA-cleared display.” Turn this notice off only if your reviewers read the images for diagnosis on cleared displays elsewhere.</p>
<form method="post" action="/admin/center/viewer-notice/toggle"><?cs call:csrf_field() ?>
<p>The notice is <?cs if:Viewer.Notice == "1" ?><span class="badge good">shown</span><?cs else ?><span class="badge">not shown</span><?cs /if ?>.
<button type="submit" class="secondary"><?cs if:Viewer.Notice == "1" ?>Stop showing the notice<?cs else ?>Show the notice<?cs /if ?></button></p>
</form>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
