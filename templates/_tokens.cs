<?cs # The personal access tokens of the signed-in user (routes/account_tokens.c): /account and /account/tokens. ?>
<?cs def:tokens_list() ?>
<?cs if:Tokens.Count == "0" ?>
<p class="muted">You have no keys. No program can open your images this way.</p>
<?cs else ?>
<ul class="tokens card-list">
<?cs each:t = Tokens.List ?>
<li class="card token">
<p><strong class="token-label"><?cs var:t.Label ?></strong><?cs if:?t.Expired ?> <span class="badge">expired</span><?cs /if ?></p>
<dl class="facts">
  <dt>Made</dt><dd><?cs var:t.Created ?></dd>
  <dt><?cs if:?t.Expired ?>Stopped working<?cs else ?>Works until<?cs /if ?></dt><dd><?cs var:t.Expires ?></dd>
  <dt>Last used</dt><dd><?cs if:?t.LastUsed ?><?cs var:t.LastUsed ?><?cs else ?>never<?cs /if ?></dd>
  <dt>What it allows</dt><dd><?cs var:t.Scope ?></dd>
</dl>
<form method="post" action="/account/tokens/<?cs var:t.Id ?>/revoke"><?cs call:csrf_field() ?><button type="submit" class="secondary" aria-label="Remove the key <?cs var:t.Label ?>">Remove this key</button></form>
</li>
<?cs /each ?>
</ul>
<?cs /if ?>
<?cs /def ?>
