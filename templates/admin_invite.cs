<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<section class="narrow">
<p><a href="/admin/accounts">All accounts</a></p>
<h1>Invite a colleague</h1>
<p>They receive an e-mail with a link (valid for 7 days) to choose a password, then set up two-step login.</p>
<form method="post" action="/admin/accounts/invite" novalidate>
  <?cs call:csrf_field() ?>
  <?cs call:text_field("name", "Name", "text", "off", "") ?>
  <?cs call:text_field("email", "E-mail address", "email", "off", "") ?>
  <div class="field<?cs if:Form.Errors.role ?> has-error<?cs /if ?>">
    <label for="f-role">Role</label>
    <select id="f-role" name="role"<?cs if:Form.Errors.role ?> aria-invalid="true" aria-describedby="role-error"<?cs /if ?>>
      <option value="staff"<?cs if:Form.Values.role == "staff" ?> selected<?cs /if ?>>Staff (triage, scheduling)</option>
      <option value="reviewer"<?cs if:Form.Values.role == "reviewer" ?> selected<?cs /if ?>>Reviewer (radiologist)</option>
      <option value="admin"<?cs if:Form.Values.role == "admin" ?> selected<?cs /if ?>>Admin</option>
    </select>
    <?cs call:field_error("role") ?>
  </div>
  <button type="submit">Send the invitation</button>
</form>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
