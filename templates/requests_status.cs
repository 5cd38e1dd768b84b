<?cs include:"_macros.cs" ?>
<?cs include:"requests_macros.cs" ?>
<?cs include:"_access_log.cs" ?>
<?cs def:content() ?>
<p class="rq-ref"><a href="/requests">My requests</a></p>
<h1>Request <?cs var:Request.Reference ?></h1>
<?cs call:acting_for() ?>
<?cs if:Request.JustSubmitted ?>
<div class="flash ok" role="status"><p>Thank you: your request was sent. Its reference is <strong id="reference"><?cs var:Request.Reference ?></strong>. We also sent you an e-mail.</p></div>
<?cs /if ?>
<p><span class="badge rq-status <?cs var:Request.Status ?>"><?cs var:Request.StatusLabel ?></span><?cs if:Request.Parent ?> · third opinion on <a href="/requests/<?cs var:Request.Parent ?>">an earlier request</a><?cs /if ?></p>
<?cs if:Request.IsDraft ?>
<p>This request is not sent yet. Next: <a href="<?cs var:url_validate(Request.NextHref) ?>"><?cs var:Request.Next ?></a>.</p>
<?cs call:progress() ?>
<?cs /if ?>
<?cs if:Request.ReviewStopped ?><p class="notice">You revoked your authorization: the review has been stopped.</p><?cs /if ?>
<?cs if:?Request.DaysLeft ?>
<p class="rq-countdown">Your report is expected by <strong><?cs var:Request.ExpectedBy ?></strong><?cs if:Request.DaysLeft > 0 ?> — in <?cs var:Request.DaysLeft ?> <?cs if:Request.DaysLeft == 1 ?>day<?cs else ?>days<?cs /if ?><?cs elif:Request.DaysLeft == 0 ?> — today<?cs /if ?>.</p>
<?cs elif:Request.ExpectedBy && !Request.HasReport ?>
<p class="rq-countdown">Your report is expected by <strong><?cs var:Request.ExpectedBy ?></strong>.</p>
<?cs /if ?>
<?cs if:Request.RecordsDue ?><p>Your first facility should send your records by <strong><?cs var:Request.RecordsDue ?></strong>.</p><?cs /if ?>
<?cs if:?Consult.When ?>
<section aria-labelledby="consult-h" id="consultation">
  <h2 id="consult-h">Your consultation</h2>
  <p><strong id="consult-when"><?cs var:Consult.When ?></strong><?cs if:Consult.Place != "" ?>, <?cs var:Consult.Place ?><?cs /if ?> (about <?cs var:Consult.Minutes ?> minutes).</p>
  <p><a href="/requests/<?cs var:Request.Id ?>/consultation.ics" download>Add it to your calendar</a> (a calendar file for your phone or computer).</p>
</section>
<?cs /if ?>
<?cs if:Request.HasReport ?>
<p class="rq-report"><a class="button" href="/requests/<?cs var:Request.Id ?>/report">Read your report</a></p>
<?cs /if ?>

<?cs if:Request.NeedsInfo ?>
<section class="rq-missing" aria-labelledby="need-h">
  <h2 id="need-h">The center needs this from you</h2>
  <?cs if:NeededMessage ?><p class="rq-message"><?cs var:NeededMessage ?></p><?cs /if ?>
  <?cs if:subcount(Needed) ?><ul><?cs each:n = Needed ?><li><a href="<?cs var:url_validate(n.Href) ?>"><?cs var:n.Text ?></a></li><?cs /each ?></ul><?cs /if ?>
  <p><a class="button" href="/requests/<?cs var:Request.Id ?>/records">Upload the requested items</a></p>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/info-sent">
    <?cs call:csrf_field() ?>
    <button type="submit" class="secondary">I have sent everything</button>
  </form>
</section>
<?cs /if ?>

<?cs if:!Request.IsDraft ?>
<section aria-labelledby="time-h">
  <h2 id="time-h">Timeline</h2>
  <ol class="rq-timeline">
  <?cs each:t = Timeline ?>
    <li data-at="<?cs var:t.At ?>"><?cs var:t.Text ?>
      <?cs if:t.Date ?><br>Consultation: <?cs var:t.Date ?><?cs if:t.Place ?>, <?cs var:t.Place ?><?cs /if ?><?cs /if ?>
      <?cs if:t.Reason ?><br>Reason: <?cs var:t.Reason ?><?cs /if ?>
      <?cs if:t.Message ?><br><?cs var:t.Message ?><?cs /if ?>
      <?cs if:subcount(t.Missing) ?><ul><?cs each:mi = t.Missing ?><li><?cs var:mi ?></li><?cs /each ?></ul><?cs /if ?>
    </li>
  <?cs /each ?>
  </ol>
</section>
<?cs /if ?>

<?cs if:subcount(Checklist) ?>
<section aria-labelledby="rec-h">
  <h2 id="rec-h">Your records</h2>
  <?cs call:checklist() ?>
  <p><a href="/requests/<?cs var:Request.Id ?>/records">See your records</a></p>
</section>
<?cs /if ?>

<?cs if:?Request.Assigned && Request.Assigned != "" ?>
<section aria-labelledby="specialist-h" id="specialist">
  <h2 id="specialist-h">Your specialist</h2>
  <p><strong><?cs var:Request.Assigned ?></strong> reviews your images.</p>
  <?cs if:Request.AssignReason != "" ?><p class="notice" role="note">You chose <?cs var:Request.Chosen ?>. The center assigned <?cs var:Request.Assigned ?> instead, because: <span class="pre"><?cs var:Request.AssignReason ?></span></p><?cs /if ?>
</section>
<?cs /if ?>

<?cs if:Request.CanMessage ?>
<section aria-labelledby="messages" id="messages-section">
  <h2 id="messages">Messages with the center<?cs if:Request.Unread != "0" && ?Request.Unread ?> <span class="badge unread"><?cs var:Request.Unread ?> new</span><?cs /if ?></h2>
  <?cs if:subcount(Messages) ?>
  <ol class="rq-thread">
  <?cs each:m = Messages ?><li class="<?cs if:m.Mine ?>mine<?cs else ?>theirs<?cs /if ?><?cs if:m.New ?> unread<?cs /if ?>"><p class="rq-when"><?cs var:m.Author ?><?cs if:m.From ?> (<?cs var:m.From ?>)<?cs /if ?>, <?cs var:m.At ?><?cs if:m.New ?> <strong class="badge unread">new</strong><?cs /if ?></p><p class="rq-body"><?cs var:m.Body ?></p></li><?cs /each ?>
  </ol>
  <?cs else ?><p>No messages yet.</p><?cs /if ?>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/messages" id="message-form">
    <?cs call:csrf_field() ?>
    <div class="field<?cs if:Form.Errors.body ?> has-error<?cs /if ?>"><label for="f-body">Write to the center</label><textarea id="f-body" name="body" rows="3" maxlength="5000"<?cs if:Form.Errors.body ?> aria-invalid="true" aria-describedby="body-error"<?cs /if ?>><?cs var:Form.Values.body ?></textarea><?cs call:field_error("body") ?></div>
    <button type="submit">Send message</button>
  </form>
</section>
<?cs /if ?>

<?cs if:!Request.IsDraft ?>
<section aria-labelledby="access-h">
  <h2 id="access-h">Who at the center opened your records</h2>
  <?cs if:subcount(Access.Groups) ?><?cs call:access_groups() ?>
  <p><a href="/requests/<?cs var:Request.Id ?>/access">See every entry of who opened your records (<?cs var:Access.TotalGroups ?> in all)</a></p>
  <?cs else ?><p>Nobody at the center has opened your records yet.</p><?cs /if ?>
</section>
<?cs /if ?>

<?cs if:Request.CanThirdOpinion ?>
<section aria-labelledby="third-h" class="rq-box">
  <h2 id="third-h">If the two reads differ</h2>
  <p>Talk with your primary-care doctor or an oncologist, and bring both reports. You can also ask a third specialist to break the tie: we reuse the records you already sent.</p>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/third-opinion">
    <?cs call:csrf_field() ?>
    <button type="submit" class="secondary">Ask for a third opinion</button>
  </form>
</section>
<?cs /if ?>

<?cs if:Request.CanWithdraw ?>
<details class="rq-box" id="withdraw"<?cs if:Form.Errors.confirm || Form.Errors.reason ?> open<?cs /if ?>>
  <summary>Withdraw this request</summary>
  <p>You can withdraw until the specialist starts the review.</p>
  <form method="post" action="/requests/<?cs var:Request.Id ?>/withdraw" novalidate>
    <?cs call:csrf_field() ?>
    <?cs call:text_field("reason", "Why (optional)", "text", "off", "") ?>
    <?cs call:tick_field("confirm", "Yes, withdraw my request") ?>
    <button type="submit" class="secondary">Withdraw</button>
  </form>
</details>
<?cs /if ?>
<?cs if:Request.AuthInForce && !Request.IsDraft ?>
<p><a href="/requests/<?cs var:Request.Id ?>/authorization">Your authorization (print or revoke)</a></p>
<?cs /if ?>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
