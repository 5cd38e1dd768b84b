<?cs def:content() ?>
<section class="narrow">
<h1><?cs var:Page.Title ?></h1>
<p><strong>Write these recovery codes down or print them now.</strong> Each one lets you log in once if you lose your phone. They are shown only this once.</p>
<ul class="codes" id="recovery-codes">
<?cs each:c = Recovery.Codes ?><li><code><?cs var:c ?></code></li>
<?cs /each ?></ul>
<p><a class="button" href="/account">I have saved them</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
