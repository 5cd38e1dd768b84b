<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<section>
<h1>People who help you</h1>
<p>If someone you trust (a daughter, a son, your partner) helps you with your second opinion, invite them here.
They get their own account and can then do for you what you can do: start a request, upload your records,
sign the authorization in their own name, follow your requests and write to the center.</p>
<ul>
  <li>Everything they do is recorded in their name, and you see it below.</li>
  <li>You can remove someone at any time. From that moment they can no longer see or do anything on your requests.</li>
  <li>The invitation e-mail says nothing about your health, and not even your name: they see who invited them only when they open the link.</li>
</ul>
<?cs if:Form.ErrorCount ?><div class="error-summary" role="alert"><p>Please check the answers marked below. Nothing you typed has been lost.</p></div><?cs /if ?>
<h2 id="current">Who helps you now</h2>
<?cs if:subcount(Caregivers) ?>
<ul class="cg-list">
<?cs each:c = Caregivers ?>
  <li class="card cg-item">
    <p><strong><?cs if:?c.Name ?><?cs var:c.Name ?><?cs else ?><?cs var:c.Email ?><?cs /if ?></strong>, your <?cs var:c.Relationship ?>
    <?cs if:c.State == "active" ?><span class="badge">can act for you</span>
    <?cs elif:c.State == "expired" ?><span class="badge">invitation expired</span>
    <?cs else ?><span class="badge">invited, not accepted yet (the link works until <?cs var:c.Expires ?>)</span><?cs /if ?></p>
    <p class="hint">Invited on <?cs var:c.Since ?> at <?cs var:c.Email ?>.</p>
    <form method="post" action="/account/caregivers/<?cs var:c.Id ?>/revoke">
      <?cs call:csrf_field() ?>
      <button type="submit" class="secondary"><?cs if:c.State == "active" ?>Remove<?cs else ?>Withdraw the invitation<?cs /if ?><span class="visually-hidden"> for <?cs if:?c.Name ?><?cs var:c.Name ?><?cs else ?><?cs var:c.Email ?><?cs /if ?></span></button>
    </form>
  </li>
<?cs /each ?>
</ul>
<?cs else ?>
<p>Nobody helps you in the portal yet.</p>
<?cs /if ?>
<h2 id="invite">Invite someone</h2>
<form method="post" action="/account/caregivers" novalidate class="narrow">
  <?cs call:csrf_field() ?>
  <?cs call:text_field("email", "Their e-mail address", "email", "off", "We send them a link that works once, for 7 days.") ?>
  <fieldset class="rq-group<?cs if:Form.Errors.relationship ?> has-error<?cs /if ?>">
    <legend>What is this person to you?</legend>
    <?cs call:radio("relationship", "daughter", "My daughter") ?>
    <?cs call:radio("relationship", "son", "My son") ?>
    <?cs call:radio("relationship", "spouse", "My spouse or partner") ?>
    <?cs call:radio("relationship", "parent", "My parent") ?>
    <?cs call:radio("relationship", "other", "Someone else (say who below)") ?>
    <?cs call:field_error("relationship") ?>
  </fieldset>
  <?cs call:text_field("relationship_other", "If someone else: what are they to you?", "text", "off", "For example: my sister, my neighbour, my friend. At most 60 characters.") ?>
  <button type="submit">Send the invitation</button>
</form>
<h2 id="activity">What the people who help you did</h2>
<?cs if:subcount(Actions) ?>
<ul class="cg-actions">
<?cs each:x = Actions ?><li><?cs var:x.Text ?><?cs if:?x.Request ?> <a href="/requests/<?cs var:x.Request ?>">Open the request</a><?cs /if ?></li><?cs /each ?>
</ul>
<?cs else ?>
<p>Nothing yet.</p>
<?cs /if ?>
<p><a href="/account">Back to your account</a></p>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
