<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<?cs call:step_header() ?>
<?cs if:Form.Refused ?><div class="error-summary" role="alert"><p><?cs var:Form.Refused ?></p></div><?cs /if ?>
<p>This is a request for a <strong>second opinion</strong> on your breast imaging. Please check everything before you send it.</p>
<section class="rq-box" aria-labelledby="r-exam"><h2 id="r-exam">Your first exam <a class="small" href="/requests/<?cs var:Request.Id ?>/steps/exam">Change<span class="visually-hidden"> your first exam</span></a></h2>
<dl class="rq-dl">
  <?cs if:Review.CaregiverName ?><dt>Filled in by</dt><dd><?cs var:Review.CaregiverName ?> (<?cs var:Review.CaregiverRelationship ?>)</dd><?cs /if ?>
  <dt>Facility</dt><dd><?cs if:string.length(Review.Facility) ?><?cs var:Review.Facility ?><?cs else ?>Not given<?cs /if ?></dd>
  <dt>Records contact</dt><dd><?cs if:string.length(Review.RecordsContact) ?><?cs var:Review.RecordsContact ?><?cs else ?>Not given<?cs /if ?></dd>
  <dt>Date</dt><dd><?cs if:string.length(Review.ExamDate) ?><?cs var:Review.ExamDate ?><?cs else ?>Not given<?cs /if ?></dd>
  <dt>Kind</dt><dd><?cs each:t = Review.Types ?><?cs var:t ?><?cs if:!last(t) ?>, <?cs /if ?><?cs /each ?></dd>
  <dt>BI-RADS</dt><dd id="review-birads"><?cs var:Review.Birads ?></dd>
  <dt>Biopsy</dt><dd><?cs if:string.length(Review.Biopsy) ?><?cs var:Review.Biopsy ?><?cs else ?>Not given<?cs /if ?></dd>
  <dt>Why</dt><dd><?cs if:string.length(Review.Reason) ?><?cs var:Review.Reason ?><?cs else ?>Not given<?cs /if ?></dd>
  <dt>Your questions</dt><dd><?cs if:subcount(Review.Questions) ?><ol><?cs each:qq = Review.Questions ?><li><?cs var:qq ?></li><?cs /each ?></ol><?cs else ?>None<?cs /if ?></dd>
  <?cs if:Review.TreatmentDate ?><dt>Treatment scheduled</dt><dd><?cs var:Review.TreatmentDate ?></dd><?cs /if ?>
</dl></section>
<section class="rq-box" aria-labelledby="r-records"><h2 id="r-records">Your records</h2><?cs call:checklist() ?></section>
<section class="rq-box" aria-labelledby="r-spec"><h2 id="r-spec">Specialist and review <a class="small" href="/requests/<?cs var:Request.Id ?>/steps/specialist">Change<span class="visually-hidden"> specialist and review</span></a></h2>
<dl class="rq-dl"><dt>Review</dt><dd><?cs if:string.length(Review.Type) ?><?cs var:Review.Type ?><?cs else ?>Not chosen<?cs /if ?></dd><dt>Where</dt><dd><?cs if:string.length(Review.Mode) ?><?cs var:Review.Mode ?><?cs else ?>Not chosen<?cs /if ?></dd><dt>Specialist</dt><dd><?cs if:string.length(Review.Specialist) ?><?cs var:Review.Specialist ?><?cs else ?>Not chosen<?cs /if ?></dd></dl></section>
<section class="rq-box" aria-labelledby="r-cov"><h2 id="r-cov">Coverage <a class="small" href="/requests/<?cs var:Request.Id ?>/steps/coverage">Change<span class="visually-hidden"> coverage</span></a></h2>
<dl class="rq-dl"><dt>Plan</dt><dd><?cs if:string.length(Review.Plan) ?><?cs var:Review.Plan ?><?cs else ?>Not given<?cs /if ?></dd><dt>Referral needed</dt><dd><?cs if:string.length(Review.Referral) ?><?cs var:Review.Referral ?><?cs else ?>Not given<?cs /if ?></dd><dt>Estimate</dt><dd><?cs if:Review.Acknowledged ?>Read and acknowledged<?cs else ?>Not acknowledged yet<?cs /if ?></dd></dl></section>
<?cs if:subcount(Missing) ?>
<section class="rq-missing" aria-labelledby="r-missing">
  <h2 id="r-missing">Still needed before you can send</h2>
  <ul><?cs each:m = Missing ?><li><a href="<?cs var:url_validate(m.Href) ?>"><?cs var:m.Text ?></a></li><?cs /each ?></ul>
</section>
<?cs /if ?>
<form method="post" action="/requests/<?cs var:Request.Id ?>/submit">
  <?cs call:csrf_field() ?>
  <button type="submit"<?cs if:subcount(Missing) ?> aria-describedby="r-missing"<?cs /if ?>>Send my request</button>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
