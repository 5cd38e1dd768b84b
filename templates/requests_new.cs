<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<h1>Start a second-opinion request</h1>
<p>We will guide you through six short steps. Everything is saved as you go, so you can stop and come back later.</p>
<ol class="rq-steps-intro">
<?cs each:s = Steps ?><li><?cs var:s.Label ?></li><?cs /each ?>
</ol>
<p>Helpful to have at hand: the report of your mammogram, the disc (CD or DVD) with your images, your insurance card and a photo ID.</p>
<form method="post" action="/requests/new">
  <?cs call:csrf_field() ?>
  <button type="submit">Start</button>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
