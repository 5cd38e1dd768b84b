<?cs def:content() ?>
<section class="hero">
  <h1>A second opinion on your mammogram</h1>
  <p class="lead">If your mammogram showed something worrying, or you are unsure about what your report says,
  a breast imaging specialist can look at your original images again and tell you what they see.
  You can ask for that here, from home.</p>
  <p><a class="button" href="/signup">Start a request</a> <a class="button secondary" href="/specialists">See the specialists</a></p>
</section>

<section>
  <h2>What is a second opinion?</h2>
  <p>A second opinion is a new, independent reading of your breast images by a board-certified radiologist who
  specialises in breast imaging. They look at the same pictures your first radiologist saw and write their own report.
  Most of the time it confirms the first reading. Sometimes it changes what should happen next — for example whether
  a biopsy is needed — which is why many people ask for one before a decision.</p>
</section>

<section>
  <h2>What you will need</h2>
  <ul class="checklist">
    <li><strong>Your original images</strong>, as digital files (usually on a CD or DVD, or a download from the imaging
      center's portal). Printed pictures or photos of a screen are not enough: the specialist needs the original image data.</li>
    <li><strong>The radiologist's report</strong> from your exam, with its BI-RADS category (a number from 0 to 6 that
      says how worried the radiologist was).</li>
    <li><strong>The pathology report</strong>, if you had a biopsy.</li>
    <li><strong>A signed HIPAA release</strong>, which lets us receive and review your records. You can sign it here.</li>
    <li><strong>Your insurance details and referral</strong>, if your plan needs one.</li>
  </ul>
  <p>Do not have your images yet? We help you write to the imaging center: you have a right to a copy of your records.</p>
</section>

<section>
  <h2>How it works</h2>
  <ol class="steps">
    <li><strong>Gather your records.</strong> Upload your images and reports. Uploads continue where they stopped if your connection drops.</li>
    <li><strong>Choose a specialist.</strong> Pick one from our directory, or let the center choose for you.</li>
    <li><strong>Settle coverage and costs.</strong> See what it will cost before you send anything.</li>
    <li><strong>Submit your request.</strong> The center checks it is complete and asks you if anything is missing.</li>
    <li><strong>Follow its progress.</strong> You see each step and can message the center.</li>
    <li><strong>Read your report.</strong> In plain words, with what it means for you. If it differs from your first report, we explain your next steps.</li>
  </ol>
</section>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
