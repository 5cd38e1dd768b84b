<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<p class="rq-ref"><a href="/requests">My requests</a></p>
<h1>Start a request for someone you represent</h1>
<p>Use this when the person cannot use the portal or invite you themselves: for example your child, or someone for
whom you hold a healthcare power of attorney or a guardianship. If they can use the portal, ask them to invite you
from their account instead.</p>
<p>You act in your own name. You will upload the document that gives you the authority to act for them; the
breast center checks it before the request can be accepted.</p>
<?cs if:Form.ErrorCount ?><div class="error-summary" role="alert"><p>Please check the answers marked below. Nothing you typed has been lost.</p></div><?cs /if ?>
<form method="post" action="/requests/for-someone" novalidate>
  <?cs call:csrf_field() ?>
  <?cs call:text_field("name", "Their full name", "text", "off", "As on their medical records.") ?>
  <?cs call:text_field("dob", "Their date of birth", "date", "off", "Used to check that uploaded images are theirs. Format: YYYY-MM-DD.") ?>
  <fieldset class="rq-group<?cs if:Form.Errors.relationship ?> has-error<?cs /if ?>">
    <legend>What are you to them?</legend>
    <?cs call:radio("relationship", "daughter", "Their daughter") ?>
    <?cs call:radio("relationship", "son", "Their son") ?>
    <?cs call:radio("relationship", "spouse", "Their spouse or partner") ?>
    <?cs call:radio("relationship", "parent", "Their parent") ?>
    <?cs call:radio("relationship", "other", "Something else (say what below)") ?>
    <?cs call:field_error("relationship") ?>
  </fieldset>
  <?cs call:text_field("relationship_other", "If something else: what are you to them?", "text", "off", "For example: their sister, their legal guardian appointed by a court. At most 60 characters.") ?>
  <fieldset class="rq-group<?cs if:Form.Errors.authority ?> has-error<?cs /if ?>">
    <legend>What gives you the authority to act for them?</legend>
    <?cs call:radio("authority", "healthcare_poa", "A healthcare power of attorney") ?>
    <?cs call:radio("authority", "legal_guardian", "I am their legal guardian") ?>
    <?cs call:radio("authority", "parent_of_minor", "I am the parent of a minor") ?>
    <?cs call:radio("authority", "personal_representative", "I am their personal representative (for example the executor of an estate)") ?>
    <?cs call:field_error("authority") ?>
  </fieldset>
  <button type="submit">Start the request</button>
</form>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
