<?cs # Shared pieces of the report views: the signed report's body. Clinical
   values arrive as words from C (server/routes/report_view.c): nothing here
   tests a category, a recommendation or a verdict for truth. ?>
<?cs def:signed_report() ?>
<dl class="facts">
  <dt>Left breast</dt><dd class="pre"><?cs var:Report.findings_left ?></dd>
  <dt>Right breast</dt><dd class="pre"><?cs var:Report.findings_right ?></dd>
  <dt>BI-RADS assessment</dt><dd id="report-birads"><?cs var:Report.BiradsLabel ?></dd>
  <dt>Breast density</dt><dd><?cs var:Report.density ?> — <?cs var:Report.density_words ?></dd>
  <dt>Recommendation</dt><dd><?cs var:Report.RecommendationLabel ?></dd>
  <?cs if:Report.contradiction_reason != "" ?><dt>Why the category and the recommendation differ</dt><dd class="pre"><?cs var:Report.contradiction_reason ?></dd><?cs /if ?>
  <dt>First read</dt><dd id="report-first-read"><?cs var:Report.FirstBiradsLabel ?>; next step: <?cs var:Report.FirstRecommendationLabel ?> (<?cs var:Report.FirstStateLabel ?>)</dd>
  <dt>Concordance</dt><dd id="report-concordance"><strong><?cs var:Report.ConcordanceLabel ?></strong><?cs if:Report.SuspicionLabel != "" ?><br><?cs var:Report.SuspicionLabel ?><?cs /if ?><?cs if:Report.explanation != "" ?><br><span class="pre"><?cs var:Report.explanation ?></span><?cs /if ?></dd>
  <dt>Answers to the patient's questions</dt><dd class="pre"><?cs if:Report.answers != "" ?><?cs var:Report.answers ?><?cs else ?>—<?cs /if ?></dd>
  <dt>Summary in plain language</dt><dd class="pre"><?cs var:Report.summary ?></dd>
  <dt>Signed</dt><dd><?cs var:Report.signed_by ?>, <?cs var:Report.signed_at ?></dd>
</dl>
<?cs if:subcount(Addenda) ?><h3>Addenda</h3><ol class="addenda"><?cs each:ad = Addenda ?><li><p class="muted"><?cs var:ad.signed_at ?>, signed by <?cs var:ad.author ?></p><?cs if:ad.question != "" ?><p><strong>Question:</strong> <?cs var:ad.question ?></p><?cs /if ?><p class="pre"><?cs var:ad.body ?></p></li><?cs /each ?></ol><?cs /if ?>
<?cs /def ?>
