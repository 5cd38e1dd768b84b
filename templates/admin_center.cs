<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section>
<h1>Center settings</h1>
<p><a href="/admin">Back to administration</a></p>

<h2>Review-time targets</h2>
<p>How many days a request may take, from the moment the patient submits it to the released report. The staff queue's due dates and “overdue” marks come from these numbers. Enter a whole number of days from 1 to 90.</p>
<form method="post" action="/admin/center/targets" novalidate><?cs call:csrf_field() ?>
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

<h2 id="viewer-notice-h">Image viewer</h2>
<p>The image viewer says “For review only: diagnostic reading of mammograms needs an FDA-cleared display.” Turn this notice off only if your reviewers read the images for diagnosis on cleared displays elsewhere.</p>
<form method="post" action="/admin/center/viewer-notice/toggle"><?cs call:csrf_field() ?>
<p>The notice is <?cs if:Viewer.Notice == "1" ?><span class="badge good">shown</span><?cs else ?><span class="badge">not shown</span><?cs /if ?>.
<button type="submit" class="secondary"><?cs if:Viewer.Notice == "1" ?>Stop showing the notice<?cs else ?>Show the notice<?cs /if ?></button></p>
</form>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
