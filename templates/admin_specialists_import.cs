<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<p><a href="/admin/specialists">← Specialist directory</a></p>
<h1>Import specialists from a CSV file</h1>
<p>The first line names the columns. Rows whose <code>external_id</code> is already in the directory are updated;
new ones are added; nobody is removed. If any line is wrong, nothing is imported and every wrong line is listed.</p>
<details><summary>Columns</summary>
<p><?cs each:c = Columns ?><code><?cs var:c ?></code> <?cs /each ?></p>
<p>Required: external_id, full_name, credentials, institution, city, state, turnaround_days. Yes/no columns take yes or no;
fees are in US dollars; networks and languages are separated by semicolons. The export has the same format.</p>
</details>
<?cs if:ProblemCount ?>
<div class="flash error" role="alert">
  <p><?cs var:Form.Errors.csv ?></p>
  <ul class="problems">
  <?cs each:p = Problems ?><li>Line <?cs var:p.Line ?>: <?cs var:p.Message ?></li><?cs /each ?>
  <?cs if:ProblemsTruncated ?><li>… and more lines with problems.</li><?cs /if ?>
  </ul>
</div>
<?cs /if ?>
<form method="post" action="/admin/specialists/import" id="import-form">
  <?cs call:csrf_field() ?>
  <div class="field">
    <label for="f-file">Choose a CSV file</label>
    <input type="file" id="f-file" accept=".csv,text/csv" data-target="f-csv">
    <p class="hint">The file is read in your browser and placed in the box below. You can also paste it there.</p>
  </div>
  <div class="field<?cs if:Form.Errors.csv ?> has-error<?cs /if ?>">
    <label for="f-csv">CSV contents</label>
    <textarea id="f-csv" name="csv" rows="14" spellcheck="false"<?cs if:Form.Errors.csv ?> aria-invalid="true" aria-describedby="csv-error"<?cs /if ?>><?cs var:Form.Values.csv ?></textarea>
    <?cs if:!ProblemCount ?><?cs call:field_error("csv") ?><?cs /if ?>
  </div>
  <button type="submit">Import</button>
</form>
<script src="/static/js/specialists.js" defer></script>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
