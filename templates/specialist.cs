<?cs include:"_macros.cs" ?>
<?cs include:"_specialist_macros.cs" ?>
<?cs def:content() ?>
<p><a href="/specialists<?cs if:Plan ?>?network=<?cs var:url_escape(Plan) ?><?cs /if ?>">← All specialists</a></p>
<?cs with:s = Specialist ?>
<h1><?cs var:s.Name ?>, <?cs var:s.Credentials ?></h1>
<p class="lead"><?cs var:s.Institution ?> · <?cs var:s.City ?>, <?cs var:s.State ?></p>
<?cs call:spec_status(s) ?>
<?cs call:spec_badges(s) ?>
<?cs call:spec_network(s, Plan) ?>
<dl class="facts wide">
  <dt>Board certification</dt>
  <dd><?cs if:s.BoardCertified ?><?cs var:s.Board ?>, since <?cs var:s.BoardYear ?><?cs else ?>Not board-certified<?cs /if ?></dd>
  <dt>Breast imaging fellowship</dt>
  <dd><?cs if:s.Fellowship ?>Yes: an extra year of training in breast imaging<?cs else ?>No<?cs /if ?></dd>
  <dt>Cancer center</dt>
  <dd><?cs if:s.NciLabel ?><?cs var:s.NciLabel ?><?cs else ?>Not an NCI-designated cancer center<?cs /if ?></dd>
  <dt>Academic medical center</dt><dd><?cs if:s.Academic ?>Yes<?cs else ?>No<?cs /if ?></dd>
  <dt>Breast imaging center of excellence</dt><dd><?cs if:s.Coe ?>Yes<?cs else ?>No<?cs /if ?></dd>
  <dt>How they review</dt>
  <dd><?cs if:s.Remote ?>Remote review of images sent to them<?cs /if ?><?cs if:s.Remote && s.InPerson ?>; <?cs /if ?><?cs if:s.InPerson ?>in-person consultation<?cs /if ?></dd>
  <dt>Review types and fees</dt><dd><?cs call:spec_fees(s) ?></dd>
  <dt>Typical turnaround</dt><dd><?cs var:s.Turnaround ?> day<?cs if:s.Turnaround != 1 ?>s<?cs /if ?> from a complete request to the report</dd>
  <dt>How to send records</dt><dd><?cs var:s.RecordsLabel ?></dd>
  <?cs if:s.RecordsRequirements ?><dt>What they need</dt><dd class="pre"><?cs var:s.RecordsRequirements ?></dd><?cs /if ?>
  <dt>Insurance networks accepted</dt><dd><?cs if:s.NetworkCount > 0 ?><?cs var:s.Networks ?><?cs else ?>None: self-pay only<?cs /if ?></dd>
  <dt>Languages</dt><dd><?cs var:s.Languages ?></dd>
</dl>
<?cs if:s.Active && s.Accepting ?>
<p>To ask <?cs var:s.Name ?> for a second opinion, choose them for your request. If you are not logged in yet, we ask you to log in or create an account first.</p>
<p><a class="button" href="/requests/choose-specialist?id=<?cs var:s.Id ?>">Choose <?cs var:s.Name ?> for my request</a></p>
<?cs /if ?>
<?cs /with ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
