<?cs def:content() ?>
<section>
<h1>Administration</h1>
<ul class="checklist">
  <li><a href="/admin/accounts">Accounts</a>: invite staff, reviewers and admins; disable or re-enable accounts; reset two-step login.</li>
  <li><a href="/admin/audit">Audit log</a>: who saw or changed what, and when.</li>
  <li><a href="/admin/center">Center settings</a>: review-time targets and the rules that flag requests in the queue.</li>
  <li><a href="/admin/specialists">Specialist directory</a></li>
</ul>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
