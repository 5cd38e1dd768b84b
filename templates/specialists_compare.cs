<?cs include:"_macros.cs" ?>
<?cs include:"_specialist_macros.cs" ?>
<?cs def:content() ?>
<p><a href="/specialists<?cs if:Plan ?>?network=<?cs var:url_escape(Plan) ?><?cs /if ?>">← All specialists</a></p>
<h1>Compare specialists</h1>
<?cs if:Compare.Problem ?>
<div class="flash error" role="alert"><p><?cs var:Compare.Problem ?></p></div>
<p><a class="button" href="/specialists">Back to the list</a></p>
<?cs else ?>
<div class="table-scroll">
<table class="compare">
  <caption class="visually-hidden">The chosen specialists side by side</caption>
  <thead><tr><th scope="col">&nbsp;</th><?cs each:s = Compare ?><th scope="col"><a href="/specialists/<?cs var:s.Id ?><?cs if:Plan ?>?network=<?cs var:url_escape(Plan) ?><?cs /if ?>"><?cs var:s.Name ?>, <?cs var:s.Credentials ?></a></th><?cs /each ?></tr></thead>
  <tbody>
    <tr><th scope="row">Where</th><?cs each:s = Compare ?><td><?cs var:s.Institution ?>, <?cs var:s.City ?>, <?cs var:s.State ?></td><?cs /each ?></tr>
    <tr><th scope="row">Status</th><?cs each:s = Compare ?><td><?cs if:!s.Active ?>No longer accepting requests<?cs elif:!s.Accepting ?>Not accepting new requests<?cs else ?>Accepting requests<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Board-certified breast specialist</th><?cs each:s = Compare ?><td><?cs if:s.BreastSpecialist ?>Yes<?cs else ?>No<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Certifying board</th><?cs each:s = Compare ?><td><?cs if:s.BoardCertified ?><?cs var:s.Board ?> (<?cs var:s.BoardYear ?>)<?cs else ?>None<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">NCI-designated cancer center</th><?cs each:s = Compare ?><td><?cs if:s.NciLabel ?><?cs if:s.Nci == "comprehensive" ?>Comprehensive<?cs else ?>Clinical<?cs /if ?><?cs else ?>No<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Academic medical center</th><?cs each:s = Compare ?><td><?cs if:s.Academic ?>Yes<?cs else ?>No<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Center of excellence</th><?cs each:s = Compare ?><td><?cs if:s.Coe ?>Yes<?cs else ?>No<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Remote review</th><?cs each:s = Compare ?><td><?cs if:s.Remote ?>Yes<?cs else ?>No<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">In-person consultation</th><?cs each:s = Compare ?><td><?cs if:s.InPerson ?>Yes<?cs else ?>No<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Image re-read</th><?cs each:s = Compare ?><td><?cs if:s.OffersReread ?>$<?cs var:s.FeeReread ?><?cs else ?>Not offered<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Full consultation</th><?cs each:s = Compare ?><td><?cs if:s.OffersConsult ?>$<?cs var:s.FeeConsult ?><?cs else ?>Not offered<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Typical turnaround</th><?cs each:s = Compare ?><td><?cs var:s.Turnaround ?> days</td><?cs /each ?></tr>
    <tr><th scope="row">Records</th><?cs each:s = Compare ?><td><?cs var:s.RecordsLabel ?></td><?cs /each ?></tr>
    <?cs if:Plan ?><tr><th scope="row">Your plan (<?cs var:Plan ?>)</th><?cs each:s = Compare ?><td><?cs if:s.InNetwork ?>In network<?cs else ?>Out of network<?cs /if ?></td><?cs /each ?></tr><?cs /if ?>
    <tr><th scope="row">Insurance networks</th><?cs each:s = Compare ?><td><?cs if:s.NetworkCount > 0 ?><?cs var:s.Networks ?><?cs else ?>Self-pay only<?cs /if ?></td><?cs /each ?></tr>
    <tr><th scope="row">Languages</th><?cs each:s = Compare ?><td><?cs var:s.Languages ?></td><?cs /each ?></tr>
    <tr><th scope="row">Your choice</th><?cs each:s = Compare ?><td><?cs if:s.Active && s.Accepting ?><a class="button small" href="/requests/choose-specialist?id=<?cs var:s.Id ?>">Choose <?cs var:s.Name ?></a><?cs else ?>Not available<?cs /if ?></td><?cs /each ?></tr>
  </tbody>
</table>
</div>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
