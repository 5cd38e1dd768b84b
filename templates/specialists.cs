<?cs include:"_macros.cs" ?>
<?cs include:"_specialist_macros.cs" ?>
<?cs def:flag_box(name, label, explain) ?>
<div class="check">
  <input type="checkbox" id="f-<?cs var:name ?>" name="<?cs var:name ?>" value="1"<?cs if:Filter[name] == 1 ?> checked<?cs /if ?> aria-describedby="<?cs var:name ?>-explain">
  <label for="f-<?cs var:name ?>"><?cs var:label ?></label>
  <p class="hint" id="<?cs var:name ?>-explain"><?cs var:explain ?></p>
</div>
<?cs /def ?>
<?cs def:content() ?>
<h1>Find a breast imaging specialist</h1>
<p class="lead">Choose who reads your images again. Every specialist listed here reviews breast imaging; use the filters to find one who fits you.</p>

<?cs if:!Form.ErrorSummary ?><p><a href="#results-heading">Skip the filters: go to the <?cs var:Result.Total ?> result<?cs if:Result.Total != 1 ?>s<?cs /if ?></a></p><?cs /if ?>
<?cs if:Form.ErrorSummary ?><div class="flash error" role="alert"><p>Please check the filters: <?cs var:Form.ErrorSummary ?></p></div><?cs /if ?>

<form method="get" action="/specialists" class="filters card" aria-label="Filter the specialists">
  <input type="hidden" name="filtered" value="1">
  <fieldset>
    <legend>Qualifications</legend>
    <?cs call:flag_box("breast", "Board-certified breast specialist", "Certified by a national radiology board and trained for an extra year, a fellowship, in breast imaging.") ?>
    <?cs call:flag_box("academic", "Academic medical center", "Works at a teaching hospital linked to a medical school, where difficult cases are often seen.") ?>
    <?cs call:flag_box("coe", "Breast imaging center of excellence", "Works at a center accredited in every breast imaging method it offers.") ?>
    <div class="field<?cs if:Form.Errors.nci ?> has-error<?cs /if ?>">
      <label for="f-nci">NCI-designated cancer center</label>
      <p class="hint" id="nci-explain">Works at a cancer center recognised by the National Cancer Institute for research and care; comprehensive centers meet its highest standard.</p>
      <select id="f-nci" name="nci" aria-describedby="nci-explain">
        <option value=""<?cs if:!Filter.nci ?> selected<?cs /if ?>>Any center</option>
        <option value="any"<?cs if:Filter.nci == "any" ?> selected<?cs /if ?>>NCI-designated (clinical or comprehensive)</option>
        <option value="comprehensive"<?cs if:Filter.nci == "comprehensive" ?> selected<?cs /if ?>>NCI comprehensive cancer center only</option>
        <option value="clinical"<?cs if:Filter.nci == "clinical" ?> selected<?cs /if ?>>NCI clinical cancer center only</option>
      </select>
      <?cs call:field_error("nci") ?>
    </div>
  </fieldset>
  <fieldset>
    <legend>How and what</legend>
    <?cs call:flag_box("remote", "Remote review", "Reviews images sent over the internet, so you do not need to travel.") ?>
    <?cs call:flag_box("in_person", "In-person consultation", "Can meet you in person to go over the images and your options.") ?>
    <?cs call:flag_box("accepting", "Accepting new requests now", "Hides specialists who are not taking new requests at the moment.") ?>
    <div class="field<?cs if:Form.Errors.review ?> has-error<?cs /if ?>">
      <label for="f-review">Kind of review</label>
      <p class="hint" id="review-explain">An image re-read is a written second reading of your images; a full consultation adds a conversation with the specialist about what it means.</p>
      <select id="f-review" name="review" aria-describedby="review-explain">
        <option value=""<?cs if:!Filter.review ?> selected<?cs /if ?>>Either</option>
        <option value="reread"<?cs if:Filter.review == "reread" ?> selected<?cs /if ?>>Image re-read</option>
        <option value="consult"<?cs if:Filter.review == "consult" ?> selected<?cs /if ?>>Full consultation</option>
      </select>
      <?cs call:field_error("review") ?>
    </div>
  </fieldset>
  <fieldset>
    <legend>Insurance, language and time</legend>
    <div class="field<?cs if:Form.Errors.network ?> has-error<?cs /if ?>">
      <label for="f-network">Your insurance network</label>
      <p class="hint" id="network-explain">Type or pick your plan's network to see who is in network for you.</p>
      <input type="text" id="f-network" name="network" list="network-list" value="<?cs var:Filter.network ?>" aria-describedby="network-explain"<?cs if:Form.Errors.network ?> aria-invalid="true"<?cs /if ?>>
      <datalist id="network-list"><?cs each:n = Choices.Networks ?><option value="<?cs var:n ?>"><?cs /each ?></datalist>
      <?cs call:field_error("network") ?>
    </div>
    <?cs call:flag_box("in_network", "Accepts my plan", "Only shows specialists in your insurance network; you may still owe a copay or deductible.") ?>
    <div class="field<?cs if:Form.Errors.language ?> has-error<?cs /if ?>">
      <label for="f-language">Language</label>
      <select id="f-language" name="language">
        <option value=""<?cs if:!Filter.language ?> selected<?cs /if ?>>Any language</option>
        <?cs each:l = Choices.Languages ?><option value="<?cs var:l ?>"<?cs if:l == Filter.language ?> selected<?cs /if ?>><?cs var:l ?></option><?cs /each ?>
      </select>
      <?cs call:field_error("language") ?>
    </div>
    <div class="field<?cs if:Form.Errors.max_days ?> has-error<?cs /if ?>">
      <label for="f-max_days">Report within (days)</label>
      <p class="hint" id="max_days-explain">The typical number of days from a complete request to your report.</p>
      <input type="number" id="f-max_days" name="max_days" min="1" max="365" inputmode="numeric" value="<?cs var:Filter.max_days ?>" aria-describedby="max_days-explain"<?cs if:Form.Errors.max_days ?> aria-invalid="true"<?cs /if ?>>
      <?cs call:field_error("max_days") ?>
    </div>
    <div class="field">
      <label for="f-sort">Sort by</label>
      <select id="f-sort" name="sort">
        <option value="name"<?cs if:Filter.sort == "name" ?> selected<?cs /if ?>>Name</option>
        <option value="turnaround"<?cs if:Filter.sort == "turnaround" ?> selected<?cs /if ?>>Fastest turnaround</option>
        <option value="fee"<?cs if:Filter.sort == "fee" ?> selected<?cs /if ?>>Lowest fee</option>
      </select>
    </div>
  </fieldset>
  <button type="submit">Show specialists</button>
  <a class="button secondary" href="/specialists">Clear filters</a>
</form>

<?cs if:!Form.ErrorSummary ?>
<h2 id="results-heading" tabindex="-1"><?cs if:Result.Total == 0 ?>No specialists match these filters<?cs else ?><?cs var:Result.Total ?> specialist<?cs if:Result.Total != 1 ?>s<?cs /if ?> found<?cs if:Result.Total > Result.Count ?> (showing <?cs var:Result.From ?>–<?cs var:Result.To ?>)<?cs /if ?><?cs /if ?></h2>
<?cs if:Result.Total == 0 ?><p>Try removing a filter. If you leave "Board-certified breast specialist" ticked, you only see radiologists with both board certification and breast imaging training.</p><?cs /if ?>
<?cs if:Result.Count > 0 ?>
<form method="get" action="/specialists/compare" id="compare-form" data-max="3">
  <?cs if:Filter.network ?><input type="hidden" name="network" value="<?cs var:Filter.network ?>"><?cs /if ?>
  <p class="hint">Tick up to three specialists, then compare them side by side. <span id="compare-count" aria-live="polite"></span></p>
  <ol class="specialist-list">
  <?cs each:s = Specialists ?>
    <li class="card specialist">
      <h3><a href="/specialists/<?cs var:s.Id ?><?cs if:Filter.network ?>?network=<?cs var:url_escape(Filter.network) ?><?cs /if ?>"><?cs var:s.Name ?>, <?cs var:s.Credentials ?></a></h3>
      <p><?cs var:s.Institution ?> · <?cs var:s.City ?>, <?cs var:s.State ?></p>
      <?cs call:spec_badges(s) ?>
      <?cs call:spec_network(s, Filter.network) ?>
      <?cs call:spec_status(s) ?>
      <dl class="facts">
        <dt>Typical turnaround</dt><dd><?cs var:s.Turnaround ?> day<?cs if:s.Turnaround != 1 ?>s<?cs /if ?></dd>
        <dt>Fees</dt><dd><?cs call:spec_fees(s) ?></dd>
        <dt>Languages</dt><dd><?cs var:s.Languages ?></dd>
      </dl>
      <div class="check"><input type="checkbox" name="id" value="<?cs var:s.Id ?>" id="cmp-<?cs var:s.Id ?>" class="compare-box"><label for="cmp-<?cs var:s.Id ?>">Compare <?cs var:s.Name ?></label></div>
    </li>
  <?cs /each ?>
  </ol>
  <button type="submit" id="compare-submit">Compare the ticked specialists</button>
</form>
<nav class="paging" aria-label="Pages">
  <?cs if:Paging.PrevHref ?><a class="button secondary" rel="prev" href="<?cs var:url_validate(Paging.PrevHref) ?>">Previous page</a><?cs /if ?>
  <?cs if:Paging.Pages > 1 ?><span>Page <?cs var:Paging.Page ?> of <?cs var:Paging.Pages ?></span><?cs /if ?>
  <?cs if:Paging.NextHref ?><a class="button secondary" rel="next" href="<?cs var:url_validate(Paging.NextHref) ?>">Next page</a><?cs /if ?>
</nav>
<?cs /if ?>
<?cs /if ?>
<script src="/static/js/specialists.js" defer></script>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
