<?cs # Pieces shared by the directory pages. s is a node filled by specialist_hdf(). ?>
<?cs def:spec_badges(s) ?>
<ul class="badges" aria-label="Qualifications">
  <?cs if:s.BreastSpecialist ?><li class="badge good">Board-certified breast specialist</li><?cs elif:s.BoardCertified ?><li class="badge">Board-certified</li><?cs /if ?>
  <?cs if:s.NciLabel ?><li class="badge"><?cs var:s.NciLabel ?></li><?cs /if ?>
  <?cs if:s.Academic ?><li class="badge">Academic medical center</li><?cs /if ?>
  <?cs if:s.Coe ?><li class="badge">Breast imaging center of excellence</li><?cs /if ?>
  <?cs if:s.Remote ?><li class="badge">Remote review</li><?cs /if ?>
  <?cs if:s.InPerson ?><li class="badge">In-person consultation</li><?cs /if ?>
</ul>
<?cs /def ?>
<?cs def:spec_network(s, plan) ?><?cs if:s.HasPlan ?><?cs if:s.InNetwork ?><span class="badge good">In network for <?cs var:plan ?></span><?cs else ?><span class="badge warn">Out of network for <?cs var:plan ?></span><?cs /if ?><?cs /if ?><?cs /def ?>
<?cs def:spec_status(s) ?><?cs if:!s.Active ?><p class="notice">This specialist is no longer in our directory and is not accepting requests. This page is kept for requests that already name them.</p><?cs elif:!s.Accepting ?><p class="notice">Not accepting new requests at the moment.</p><?cs /if ?><?cs /def ?>
<?cs def:spec_fees(s) ?>
<?cs if:s.OffersReread ?>Image re-read: $<?cs var:s.FeeReread ?><?cs else ?>No image re-read<?cs /if ?><br>
<?cs if:s.OffersConsult ?>Full consultation: $<?cs var:s.FeeConsult ?><?cs else ?>No full consultation<?cs /if ?>
<?cs /def ?>
