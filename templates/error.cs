<?cs def:content() ?>
<section class="error">
  <h1><?cs if:Error.Status == 404 ?>We could not find that page<?cs else ?>Sorry — that did not work<?cs /if ?></h1>
  <p><?cs var:Error.Message ?></p>
  <p class="muted">Error <?cs var:Error.Status ?> · incident number <code><?cs var:Page.RequestId ?></code></p>
  <p><a href="/">Go to the home page</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
