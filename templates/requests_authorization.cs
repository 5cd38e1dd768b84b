<?cs include:"_macros.cs" ?>
<?cs include:"_print_header.cs" ?>
<?cs def:content() ?>
<p class="no-print"><a href="/requests/<?cs var:Request.Id ?>">Back to the request</a> · Use your browser's Print command to print this page.</p>
<article class="rq-letter">
<?cs call:print_frame_start() ?>
<div class="rq-authtext" tabindex="0" role="region" aria-label="Authorization text"><?cs var:Auth.Text ?></div>
<?cs if:Auth.InForce && Auth.SignedName ?>
<p><strong>Signed electronically</strong> by typing the name "<?cs var:Auth.SignedName ?>"<?cs if:?Auth.SignerRelationship ?>, in the signer's own name, as the patient's <?cs var:Auth.SignerRelationship ?> (<span class="cg-authority"><?cs var:Auth.SignerAuthority ?></span>),<?cs /if ?> on <?cs var:Auth.SignedAt ?> from address <?cs var:Auth.Ip ?>.<br>SHA-256 of the text signed: <code class="rq-hash"><?cs var:Auth.SignedSha256 ?></code></p>
<?cs else ?>
<p class="rq-sign">Signature: ______________________________ &nbsp; Date: ______________</p>
<?cs /if ?>
<?cs call:print_frame_end() ?>
</article>
<?cs if:Auth.InForce ?>
<details class="rq-box no-print" id="revoke"<?cs if:Form.Errors.confirm ?> open<?cs /if ?>>
  <summary>Revoke this authorization</summary>
  <p>Revoking stops the review of your request<?cs if:!Request.IsDraft ?> and withdraws it if the review has not started<?cs /if ?>.</p>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/authorization/revoke" novalidate>
    <?cs call:csrf_field() ?>
    <?cs call:tick_field("confirm", "Yes, revoke my authorization") ?>
    <button type="submit" class="secondary">Revoke</button>
  </form>
</details>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
