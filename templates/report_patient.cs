<?cs include:"_macros.cs" ?>
<?cs include:"_print_header.cs" ?>
<?cs def:content() ?>
<p class="no-print"><a href="/requests">← My requests</a></p>
<article class="printable">
<?cs call:print_frame_start() ?>
<h1>Your second-opinion report</h1>
<p class="muted">Signed by <?cs var:Report.signed_by ?> on <?cs var:Report.signed_at ?>; released to you on <?cs var:Report.released_at ?>.</p>

<section aria-labelledby="agree-h"><h2 id="agree-h">How does it compare with your first report?</h2>
<p class="lead" id="agreement"><?cs var:Report.PatientSentence ?><?cs if:Report.SuspicionSentence != "" ?> <?cs var:Report.SuspicionSentence ?><?cs /if ?></p>
<?cs if:Report.OfferThird == "1" ?>
<h3>What to do next</h3>
<ul id="next-steps">
  <li>Bring both reports, the first one and this one, to your doctor. They will help you decide which plan to follow.</li>
  <li>If the two reports still leave you unsure, you can ask for a third, tie-breaking opinion from a different specialist. Your records are reused: nothing needs to be uploaded again.</li>
</ul>
<?cs if:Report.CanThird == "1" ?>
<form method="post" action="/requests/<?cs var:Request.Id ?>/third-opinion" class="no-print"><?cs call:csrf_field() ?><button type="submit">Ask for a third opinion</button></form>
<?cs /if ?>
<?cs /if ?>
<?cs if:Report.explanation != "" ?><h3>The specialist's comparison with your first report</h3>
<p class="pre"><?cs var:Report.explanation ?></p><?cs /if ?>
</section>

<section aria-labelledby="summary-h"><h2 id="summary-h">In plain words</h2>
<p class="pre"><?cs var:Report.summary ?></p>
<p id="patient-category">Category: <?cs var:Report.BiradsLabel ?>. <?cs var:Report.BiradsWords ?></p>
<p>Breast density: <?cs var:Report.density ?> — <?cs var:Report.density_words ?></p>
<p>Recommended next step: <?cs var:Report.RecommendationLabel ?></p>
</section>

<?cs if:Report.answers != "" ?><section aria-labelledby="answers-h"><h2 id="answers-h">Answers to your questions</h2><p class="pre"><?cs var:Report.answers ?></p></section><?cs /if ?>

<section aria-labelledby="findings-h"><h2 id="findings-h">The specialist's findings</h2>
<h3>Left breast</h3><p class="pre"><?cs var:Report.findings_left ?></p>
<h3>Right breast</h3><p class="pre"><?cs var:Report.findings_right ?></p>
</section>

<?cs if:subcount(Addenda) ?><section aria-labelledby="add-h"><h2 id="add-h">Additions to the report</h2>
<ol class="addenda"><?cs each:ad = Addenda ?><li><p class="muted"><?cs var:ad.signed_at ?></p><?cs if:ad.question != "" ?><p><strong>Your question:</strong> <?cs var:ad.question ?></p><?cs /if ?><p class="pre"><?cs var:ad.body ?></p></li><?cs /each ?></ol></section><?cs /if ?>
<?cs call:print_frame_end() ?>
</article>

<section class="card no-print" aria-labelledby="ask-h"><h2 id="ask-h">Ask a follow-up question</h2>
<?cs if:subcount(Questions) ?><ul><?cs each:qq = Questions ?><li><?cs var:qq.question ?> <span class="muted">(asked <?cs var:qq.asked_at ?><?cs if:qq.addendum_id == "0" ?>, waiting for the answer<?cs else ?>, answered above<?cs /if ?>)</span></li><?cs /each ?></ul><?cs /if ?>
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
