<?cs # Whose images are these: the identity check (routes/identity_view.c), the same words on the
     patient's records page, the staff request page and the reviewer's case page. audience is
     "patient" or "center"; only the advice under the verdict differs. Values only through var:. ?>
<?cs def:identity_check(audience) ?><?cs if:Identity.Checked == "1" ?>
<section class="card identity identity-<?cs var:Identity.Verdict ?>" id="identity" aria-labelledby="identity-h" data-verdict="<?cs var:Identity.Verdict ?>" data-files="<?cs var:Identity.Files ?>" data-other="<?cs var:Identity.Other ?>" data-unsure="<?cs var:Identity.Unsure ?>">
  <h2 id="identity-h">Whose images are these?</h2>
  <div class="identity-verdict">
    <p class="identity-headline<?cs if:Identity.Verdict == "different" ?> wrong-patient<?cs elif:Identity.Verdict == "probably" ?> notice<?cs /if ?>"><?cs var:Identity.Headline ?></p>
    <?cs if:subcount(Identity.Flagged) ?>
    <ul class="identity-series">
    <?cs each:f = Identity.Flagged ?>
      <li class="identity-<?cs var:f.Verdict ?>"><p><strong><?cs var:f.Where ?>:</strong> <?cs var:f.Summary ?></p>
        <ul class="identity-people"><?cs each:p = f.People ?><li class="identity-<?cs var:p.Verdict ?>"><?cs var:p.Text ?></li><?cs /each ?></ul></li>
    <?cs /each ?>
    </ul>
    <?cs /if ?>
  </div>
  <?cs if:Identity.Verdict != "match" ?>
  <p class="identity-advice"><?cs if:audience == "patient" ?>These images may belong to someone else: please check them and remove them if they are not yours. If they are yours under another name or with a mistake in the date of birth, leave them and tell us in a message: the center will check.<?cs else ?>Check with the patient or the imaging center before these images are read: images of another person must not be reviewed for this patient.<?cs /if ?></p>
  <?cs /if ?>
</section>
<?cs /if ?><?cs /def ?>
