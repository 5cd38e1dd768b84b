<?cs def:content() ?>
<section class="narrow">
<h1><?cs var:Page.Title ?></h1>
<p><?cs var:Message.Text ?></p>
<?cs if:Message.Link ?><p><a class="button" href="<?cs var:url_validate(Message.Link) ?>"><?cs var:Message.LinkText ?></a></p><?cs /if ?>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
