<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs def:content() ?>
<?cs call:step_header() ?>
<form method="post" action="/requests/<?cs var:Request.Id ?>/steps/coverage" novalidate>
  <?cs call:csrf_field() ?>
  <fieldset class="rq-group<?cs if:Form.Errors.payment ?> has-error<?cs /if ?>">
    <legend>How will you pay?</legend>
    <?cs call:radio("payment", "insurance", "With my health insurance") ?>
    <?cs call:radio("payment", "self_pay", "I will pay myself") ?>
    <?cs call:field_error("payment") ?>
  </fieldset>
  <?cs call:text_field("plan", "Insurance plan", "text", "off", "As written on your card, for example Blue Shield PPO.") ?>
  <div class="field<?cs if:Form.Errors.member_id ?> has-error<?cs /if ?>">
    <label for="f-member_id">Member ID</label>
    <p class="hint" id="member_id-hint"><?cs if:Request.MemberIdEnd ?>We have the member ID ending in <?cs var:Request.MemberIdEnd ?>. Leave this empty to keep it.<?cs else ?>On your insurance card. It is stored encrypted.<?cs /if ?></p>
    <input id="f-member_id" name="member_id" type="text" autocomplete="off" value="<?cs var:Form.Values.member_id ?>"<?cs if:Form.Errors.member_id ?> aria-invalid="true" aria-describedby="member_id-error"<?cs else ?> aria-describedby="member_id-hint"<?cs /if ?>>
    <?cs call:field_error("member_id") ?>
  </div>
  <fieldset class="rq-group<?cs if:Form.Errors.referral ?> has-error<?cs /if ?>">
    <legend>Does your plan need a referral from your doctor for a specialist?</legend>
    <?cs call:radio("referral", "yes", "Yes") ?>
    <?cs call:radio("referral", "no", "No") ?>
    <?cs call:field_error("referral") ?>
  </fieldset>

  <section class="rq-box" aria-labelledby="cost-h">
    <h2 id="cost-h">What it may cost</h2>
    <ul>
      <li>Specialist's fee: <?cs var:Cost.Fee ?></li>
      <li>Network: <?cs if:Cost.Network == "in" ?><?cs var:Cost.Specialist ?> accepts <?cs var:Cost.Plan ?> (in network).<?cs elif:Cost.Network == "out" ?><?cs var:Cost.Specialist ?> does not list <?cs var:Cost.Plan ?>: the review may be out of network and cost you more.<?cs else ?>We can tell once you have entered your plan and chosen a specialist.<?cs /if ?></li>
      <li>A second opinion is a diagnostic service: even when your screening mammogram was free, a co-pay or your deductible may apply.</li>
      <li>Your first facility may charge a reasonable, cost-based fee for copying your records.</li>
    </ul>
    <h3>Questions to ask your insurer</h3>
    <ul>
      <li>Is a second-opinion review of breast imaging covered, and at what co-pay or coinsurance?</li>
      <li>Is this specialist in my network? If not, what do I pay out of network?</li>
      <li>Do I need a referral or prior authorization?</li>
      <li>How much of my deductible is left this year?</li>
    </ul>
  </section>
  <div class="check<?cs if:Form.Errors.ack ?> has-error<?cs /if ?>"><input type="checkbox" id="f-ack" name="ack" value="1"<?cs if:Form.Values.ack == "1" ?> checked<?cs /if ?><?cs if:Form.Errors.ack ?> aria-invalid="true" aria-describedby="ack-error"<?cs /if ?>><label for="f-ack">I have read this estimate and understand that the final cost depends on my plan.</label></div>
  <?cs call:field_error("ack") ?>
  <?cs call:step_buttons() ?>
</form>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
