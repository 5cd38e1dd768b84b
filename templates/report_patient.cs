<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<p class="no-print"><a href="/requests">← My requests</a></p>
<article class="printable">
<h1>Your second-opinion report</h1>
<p class="muted">Signed by <?cs var:Report.signed_by ?> on <?cs var:Report.signed_at ?> UTC; released to you on <?cs var:Report.released_at ?> UTC.</p>

<section aria-labelledby="agree-h"><h2 id="agree-h">Does it agree with your first report?</h2>
<?cs if:Report.concordance == "concordant" ?>
<p class="lead" id="agreement">Yes. The second reading agrees with your first report: the same category<?cs if:Report.birads ?> (BI-RADS <?cs var:Report.birads ?>)<?cs /if ?> and the same next step.</p>
<p>What this means: two specialists looked at your images and came to the same conclusion. You can go ahead with the plan you already have, and take this report to your next appointment.</p>
<?cs else ?>
<p class="lead" id="agreement"><?cs if:Report.concordance == "upgraded" ?>No. The second reading found more reason for concern than your first report<?cs elif:Report.concordance == "downgraded" ?>No. The second reading found less reason for concern than your first report<?cs else ?>Partly. The second reading puts your images in the same category as your first report<?cs /if ?><?cs if:Report.first_birads ?> (first report: BI-RADS <?cs var:Report.first_birads ?>; second reading: BI-RADS <?cs var:Report.birads ?>)<?cs /if ?>.
<?cs if:Report.NextStepChanged ?>The recommended next step has changed: it is now <strong><?cs var:Report.recommendation_label ?></strong> instead of <?cs var:Report.first_recommendation_label ?>.<?cs else ?>The recommended next step has not changed.<?cs /if ?></p>
<h3>What to do next</h3>
<ul>
  <li>Book a visit with your primary-care doctor, or with an oncologist, and bring both reports: the first one and this one. They will help you decide which plan to follow.</li>
  <li>If the two reports still leave you unsure, you can ask for a third, tie-breaking opinion from a different specialist. Your records are reused: nothing needs to be uploaded again.</li>
</ul>
<?cs if:Report.CanThird ?>
<form method="post" action="/requests/<?cs var:Request.Id ?>/third-opinion" class="no-print"><?cs call:csrf_field() ?><button type="submit">Ask for a third opinion</button></form>
<?cs /if ?>
<?cs /if ?>
<?cs if:Report.explanation ?><h3>The specialist's comparison with your first report</h3>
<p class="pre"><?cs var:Report.explanation ?></p><?cs /if ?>
</section>

<section aria-labelledby="summary-h"><h2 id="summary-h">In plain words</h2>
<p class="pre"><?cs var:Report.summary ?></p>
<p>Category: BI-RADS <?cs var:Report.birads ?> — <?cs var:Report.birads_words ?></p>
<p>Breast density: <?cs var:Report.density ?> — <?cs var:Report.density_words ?></p>
<p>Recommended next step: <?cs var:Report.recommendation_label ?></p>
</section>

<?cs if:Report.answers ?><section aria-labelledby="answers-h"><h2 id="answers-h">Answers to your questions</h2><p class="pre"><?cs var:Report.answers ?></p></section><?cs /if ?>

<section aria-labelledby="findings-h"><h2 id="findings-h">The specialist's findings</h2>
<h3>Left breast</h3><p class="pre"><?cs var:Report.findings_left ?></p>
<h3>Right breast</h3><p class="pre"><?cs var:Report.findings_right ?></p>
</section>

<?cs if:subcount(Addenda) ?><section aria-labelledby="add-h"><h2 id="add-h">Additions to the report</h2>
<ol class="addenda"><?cs each:ad = Addenda ?><li><p class="muted"><?cs var:ad.signed_at ?> UTC</p><?cs if:ad.question ?><p><strong>Your question:</strong> <?cs var:ad.question ?></p><?cs /if ?><p class="pre"><?cs var:ad.body ?></p></li><?cs /each ?></ol></section><?cs /if ?>
</article>

<section class="card no-print" aria-labelledby="ask-h"><h2 id="ask-h">Ask a follow-up question</h2>
<?cs if:subcount(Questions) ?><ul><?cs each:qq = Questions ?><li><?cs var:qq.question ?> <span class="muted">(asked <?cs var:qq.asked_at ?> UTC<?cs if:qq.addendum_id == "0" ?>, waiting for the answer<?cs else ?>, answered above<?cs /if ?>)</span></li><?cs /each ?></ul><?cs /if ?>
<?cs if:Report.QuestionsLeft > 0 ?>
<form method="post" action="/requests/<?cs var:Request.Id ?>/report/questions"><?cs call:csrf_field() ?>
  <div class="field<?cs if:Form.Errors.question ?> has-error<?cs /if ?>"><label for="f-question">Your question</label>
  <p class="hint" id="question-hint">You can ask <?cs var:Report.QuestionsLeft ?> more. The specialist answers as a dated addition to this report.</p>
  <textarea id="f-question" name="question" rows="3" maxlength="2000" aria-describedby="question-hint"><?cs var:Form.Values.question ?></textarea><?cs call:field_error("question") ?></div>
  <button type="submit">Send the question</button>
</form>
<?cs else ?><p>You have asked the three follow-up questions this report allows. For more, please send a message to the center.</p><?cs /if ?>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
