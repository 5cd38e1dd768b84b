<?cs include:"_macros.cs" ?>
<?cs include:"_identity.cs" ?>
<?cs def:content() ?>
<h1>Records for request <?cs var:Request.Reference ?></h1>

<section aria-labelledby="receipt-h" id="records-receipt">
  <h2 id="receipt-h">What we have received</h2>
  <p class="receipt<?cs if:Records.Partial ?> partial<?cs /if ?>" id="receipt"><?cs var:Records.Summary ?></p>
  <?cs if:subcount(Records.Warnings) ?>
  <ul class="warnings" aria-label="Things to check">
    <?cs each:w = Records.Warnings ?><li class="warning"><?cs var:w ?></li><?cs /each ?>
  </ul>
  <?cs /if ?>
  <?cs if:subcount(Records.Failed) ?>
  <h3 id="failed-h">Files not kept</h3>
  <ul class="failed-uploads" aria-labelledby="failed-h">
    <?cs each:f = Records.Failed ?><li class="warning"><span class="filename"><?cs var:f.Name ?></span>: not kept: <?cs var:f.Reason ?>.
      Please upload it again<?cs if:!Request.Uploadable ?> if the center asks for it<?cs /if ?>.</li><?cs /each ?>
  </ul>
  <?cs /if ?>
  <?cs if:subcount(Records.Receipts) ?>
  <details>
    <summary>Details of each upload</summary>
    <ul class="receipts"><?cs each:rc = Records.Receipts ?><li><?cs var:rc ?></li><?cs /each ?></ul>
  </details>
  <?cs /if ?>
</section>

<div id="records-identity"><?cs call:identity_check("patient") ?></div>

<?cs if:?Records.Represents ?>
<section class="card cg-authority" aria-labelledby="authority-h">
  <h2 id="authority-h">Your authority to act</h2>
  <p>Upload the document that gives you the authority to act for this person (for example a healthcare power of
  attorney or a guardianship order): choose “Document giving you authority” below. The center checks it before
  your request can be accepted.</p>
  <p>Where it stands: <strong><?cs var:Records.AuthorityState ?></strong><?cs if:?Records.AuthorityReason ?>. The center's reason: <?cs var:Records.AuthorityReason ?>. Please upload another document.<?cs /if ?></p>
</section>
<?cs /if ?>

<?cs if:Request.Uploadable ?>
<section aria-labelledby="upload-h" id="uploader" data-request="<?cs var:Request.Id ?>" data-csrf="<?cs var:Csrf.Token ?>" data-max-size="<?cs var:Records.MaxSize ?>">
  <h2 id="upload-h">Add records</h2>
  <p>Upload the original images (the files on the CD or DVD from your imaging center, a ZIP file from its portal,
  or an ISO image of the disc) and your reports. Uploads continue where they stopped if the connection drops or
  you reload the page.</p>
  <p id="up-interrupted" class="warning" hidden></p>
  <div class="field">
    <label for="up-kind">What are you uploading?</label>
    <select id="up-kind" name="kind">
      <?cs each:k = UploadKinds ?><?cs if:k.Authority != "1" || ?Records.Represents ?><option value="<?cs var:k.Key ?>"><?cs var:k.Label ?></option><?cs /if ?><?cs /each ?>
    </select>
  </div>
  <div class="field">
    <label for="up-files">Choose files</label>
    <input id="up-files" type="file" multiple>
  </div>
  <div class="field">
    <label for="up-folder">Or choose a whole folder (for example the CD)</label>
    <input id="up-folder" type="file" webkitdirectory multiple>
  </div>
  <div id="up-drop" class="dropzone" tabindex="0" role="button" aria-describedby="up-drop-hint">Drop files or a folder here, or press Enter to choose a folder</div>
  <p id="up-drop-hint" class="hint">You can also drag a folder from your computer onto this box.</p>
  <p class="upload-actions">
    <button type="button" id="up-start" disabled>Start upload</button>
    <button type="button" id="up-pause" disabled>Pause</button>
    <button type="button" id="up-resume" disabled>Resume</button>
  </p>
  <div id="up-overall" hidden>
    <label for="up-overall-bar">All files</label>
    <progress id="up-overall-bar" max="100" value="0"></progress>
    <span id="up-overall-text"></span>
  </div>
  <ul id="up-list" class="upload-list" aria-label="Files to upload"></ul>
  <p id="up-status" class="visually-hidden" role="status" aria-live="polite"></p>
  <p id="up-done" class="receipt" hidden></p>
</section>
<?cs /if ?>

<div id="records-details">
<?cs if:subcount(Records.Pending) ?>
<section aria-labelledby="pending-h">
  <h2 id="pending-h">Uploads not finished or being checked</h2>
  <ul><?cs each:p = Records.Pending ?><li<?cs if:p.Checking == "1" ?> class="checking"<?cs /if ?>><span class="filename"><?cs var:p.Name ?></span>: <?cs var:p.State ?></li><?cs /each ?></ul>
  <?cs if:Request.Uploadable ?><p class="hint">To finish an upload, choose the same file or folder again above and press Start upload:
  it continues from where it stopped.</p><?cs /if ?>
</section>
<?cs /if ?>

<section aria-labelledby="series-h">
  <h2 id="series-h">Images, by series</h2>
  <?cs if:subcount(Records.Series) ?>
  <p><a class="button" href="/requests/<?cs var:Request.Id ?>/images">View the images</a></p>
  <div class="table-scroll">
  <table class="list">
    <caption>One row per series of images found in your files</caption>
    <thead><tr><th scope="col">Description</th><th scope="col">Type</th><th scope="col">Date</th><th scope="col">Images</th>
      <th scope="col">Patient in the images</th><th scope="col">Born</th><th scope="col">Views</th><?cs if:Request.Editable ?><th scope="col"><span class="visually-hidden">Remove</span></th><?cs /if ?></tr></thead>
    <tbody>
    <?cs each:s = Records.Series ?>
      <tr<?cs if:s.Identity == "different" ?> class="wrong-patient"<?cs /if ?>><td><?cs var:s.Description ?></td><td><?cs var:s.Modality ?></td><td><?cs var:s.Date ?></td><td><?cs var:s.Images ?></td>
        <td><?cs var:s.PatientName ?></td><td><?cs var:s.BirthDate ?></td><td class="views"><?cs var:s.Views ?></td>
        <?cs if:Request.Editable ?><td><form method="post" action="/requests/<?cs var:Request.Id ?>/series/<?cs var:s.Id ?>/delete" class="inline">
          <?cs call:csrf_field() ?><button type="submit" class="link">Remove this series<span class="visually-hidden"> (<?cs var:s.Description ?>, <?cs var:s.Date ?>)</span></button></form></td><?cs /if ?></tr>
    <?cs /each ?>
    </tbody>
  </table>
  </div>
  <?cs if:subcount(Records.Studies) ?>
  <h3 id="study-downloads-h">Download one study</h3>
  <p>Each download is laid out like a hospital CD (with a DICOMDIR index), ready to burn or copy for a doctor's office.</p>
  <ul class="study-downloads" aria-labelledby="study-downloads-h"><?cs each:st = Records.Studies ?>
    <li><a href="/requests/<?cs var:Request.Id ?>/studies/<?cs var:st.Id ?>/records.zip">Download the study of <?cs var:st.Date ?> (<?cs var:st.Description ?>) as a ZIP file</a></li><?cs /each ?>
  </ul>
  <?cs /if ?>
  <?cs else ?>
  <p>No images yet.</p>
  <?cs /if ?>
</section>

<section aria-labelledby="docs-h">
  <h2 id="docs-h">Files</h2>
  <?cs if:subcount(Records.Documents) ?>
  <p><a href="/requests/<?cs var:Request.Id ?>/records.zip">Download everything as one ZIP file</a> (laid out like a hospital CD: the images with a DICOMDIR index, the reports in their own folder)</p>
  <div class="table-scroll">
  <table class="list">
    <caption>Every file we kept</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Type</th><th scope="col">Size</th><th scope="col">Actions</th></tr></thead>
    <tbody>
    <?cs each:d = Records.Documents ?>
      <tr><td class="filename"><?cs var:d.Name ?></td><td><?cs var:d.Kind ?></td><td><?cs var:d.Type ?><?cs if:d.Detail ?> (<?cs var:d.Detail ?>)<?cs /if ?><?cs if:d.Incomplete == "1" ?> <strong class="incomplete">incomplete image data</strong><?cs /if ?></td><td><?cs var:d.Size ?></td>
        <td><a href="/requests/<?cs var:Request.Id ?>/documents/<?cs var:d.Id ?>/download">Download<span class="visually-hidden"> <?cs var:d.Name ?></span></a>
        <?cs if:Request.Editable ?><form method="post" action="/requests/<?cs var:Request.Id ?>/documents/<?cs var:d.Id ?>/delete" class="inline">
          <?cs call:csrf_field() ?><button type="submit" class="link">Delete<span class="visually-hidden"> <?cs var:d.Name ?></span></button></form><?cs /if ?></td></tr>
    <?cs /each ?>
    </tbody>
  </table>
  </div>
  <?cs else ?>
  <p>No files kept yet.</p>
  <?cs /if ?>
  <?cs if:subcount(Records.Skipped) ?>
  <h3>Files not kept</h3>
  <ul class="skipped">
    <?cs each:d = Records.Skipped ?><li><span class="filename"><?cs var:d.Name ?></span>: <?cs if:d.Refused == "1" ?><strong><?cs var:d.Reason ?></strong><?cs else ?>skipped (<?cs var:d.Reason ?>, not needed)<?cs /if ?></li><?cs /each ?>
  </ul>
  <?cs /if ?>
</section>
</div>
<script src="/static/js/uploader.js" defer></script>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
