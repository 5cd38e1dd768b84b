<?cs include:"_access_log.cs" ?>
<?cs def:content() ?>
<p><a href="/requests/<?cs var:Request.Id ?>">Back to the request</a></p>
<h1>Who at the center opened your records</h1>
<p>Every time someone at the center opened your request, looked at your images or downloaded your files is recorded. Each entry shows one person on one day (days in your time zone).</p>
<?cs if:Access.TotalGroups == "0" ?>
<p>Nobody at the center has opened your records yet.</p>
<?cs else ?>
<p id="access-total"><?cs var:Access.TotalGroups ?> <?cs if:Access.TotalGroups == "1" ?>entry<?cs else ?>entries<?cs /if ?> in all (<?cs var:Access.TotalEvents ?> recorded <?cs if:Access.TotalEvents == "1" ?>action<?cs else ?>actions<?cs /if ?>). Page <?cs var:Access.Page ?> of <?cs var:Access.Pages ?>.</p>
<?cs call:access_groups() ?>
<nav class="paging" aria-label="Pages">
<?cs if:?Access.PrevPage ?><a rel="prev" href="/requests/<?cs var:Request.Id ?>/access?page=<?cs var:Access.PrevPage ?>">Newer entries (page <?cs var:Access.PrevPage ?>)</a><?cs /if ?>
<?cs if:?Access.NextPage ?><a rel="next" href="/requests/<?cs var:Request.Id ?>/access?page=<?cs var:Access.NextPage ?>">Older entries (page <?cs var:Access.NextPage ?>)</a><?cs /if ?>
</nav>
<?cs /if ?>
<?cs if:subcount(Helpers) ?>
<h2 id="helpers">What the people who help you did</h2>
<p>People you invited to act for you (you can remove them on <a href="/account/caregivers">your account</a>):</p>
<ul class="cg-actions"><?cs each:x = Helpers ?><li><?cs var:x ?></li><?cs /each ?></ul>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
