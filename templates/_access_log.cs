<?cs # "Who opened my records" (routes/patient_access.c): one entry per person and day. ?>
<?cs def:access_groups() ?>
<ol class="access-groups">
<?cs each:g = Access.Groups ?>
  <li class="access-group"><p><strong><?cs var:g.Who ?></strong> (<?cs var:g.Role ?>) — <time datetime="<?cs var:g.Date ?>"><?cs var:g.Day ?></time></p>
    <ul><?cs each:it = g.Items ?><li><?cs var:it ?></li><?cs /each ?></ul></li>
<?cs /each ?>
</ol>
<?cs /def ?>
