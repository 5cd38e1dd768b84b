<?cs # Shared pieces of the report views: the signed report's body. ?>
<?cs def:concordance_words(c) ?><?cs if:c == "concordant" ?>Agrees with the first read (same category, same next step)<?cs elif:c == "upgraded" ?>Upgraded: more concern than the first read<?cs elif:c == "downgraded" ?>Downgraded: less concern than the first read<?cs elif:c == "management_change" ?>Same category, different recommended next step<?cs /if ?><?cs /def ?>
<?cs def:signed_report() ?>
<dl class="facts">
  <dt>Left breast</dt><dd class="pre"><?cs var:Report.findings_left ?></dd>
  <dt>Right breast</dt><dd class="pre"><?cs var:Report.findings_right ?></dd>
  <dt>BI-RADS assessment</dt><dd><?cs var:Report.birads ?> — <?cs var:Report.birads_words ?></dd>
  <dt>Breast density</dt><dd><?cs var:Report.density ?> — <?cs var:Report.density_words ?></dd>
  <dt>Recommendation</dt><dd><?cs var:Report.recommendation_label ?></dd>
  <dt>First read</dt><dd>BI-RADS <?cs if:string.length(Report.first_birads) ?><?cs var:Report.first_birads ?><?cs else ?>not known<?cs /if ?>; next step <?cs if:string.length(Report.first_recommendation_label) ?><?cs var:Report.first_recommendation_label ?><?cs else ?>not known<?cs /if ?></dd>
  <dt>Concordance</dt><dd><strong><?cs call:concordance_words(Report.concordance) ?></strong><?cs if:Report.explanation ?><br><span class="pre"><?cs var:Report.explanation ?></span><?cs /if ?></dd>
  <dt>Answers to the patient's questions</dt><dd class="pre"><?cs if:string.length(Report.answers) ?><?cs var:Report.answers ?><?cs else ?>—<?cs /if ?></dd>
  <dt>Summary in plain language</dt><dd class="pre"><?cs var:Report.summary ?></dd>
  <dt>Signed</dt><dd><?cs var:Report.signed_by ?>, <?cs var:Report.signed_at ?> UTC</dd>
</dl>
<?cs if:subcount(Addenda) ?><h3>Addenda</h3><ol class="addenda"><?cs each:ad = Addenda ?><li><p class="muted"><?cs var:ad.signed_at ?> UTC, signed by <?cs var:ad.author ?></p><?cs if:ad.question ?><p><strong>Question:</strong> <?cs var:ad.question ?></p><?cs /if ?><p class="pre"><?cs var:ad.body ?></p></li><?cs /each ?></ol><?cs /if ?>
<?cs /def ?>
