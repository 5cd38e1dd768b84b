<?cs include:"_macros.cs" ?>
<?cs include:"_print_header.cs" ?>
<?cs def:content() ?>
<p class="no-print"><a href="/requests/<?cs var:Request.Id ?>/steps/records">Back to your records</a> · Use your browser's Print command to print this letter.</p>
<article class="rq-letter">
<?cs call:print_frame_start() ?>
<p><?cs var:Letter.Name ?><br><?cs var:Letter.Email ?></p>
<p><?cs var:Letter.Date ?></p>
<p>To: Medical Records Department<br><?cs if:string.length(Letter.Facility) ?><?cs var:Letter.Facility ?><?cs else ?>(name of the facility)<?cs /if ?><?cs if:Letter.Contact ?><br><?cs var:Letter.Contact ?><?cs /if ?></p>
<h1>Request for a copy of my medical records</h1>
<p>Under the HIPAA Privacy Rule (45 CFR 164.524) I ask for a copy of my breast imaging records<?cs if:Letter.ExamDate ?>, including the exam of <?cs var:Letter.ExamDate ?><?cs /if ?>:</p>
<ul>
  <li>The images <strong>as original digital data (DICOM)</strong>, on a CD or DVD or sent electronically<?cs if:subcount(Letter.Types) ?> (<?cs each:t = Letter.Types ?><?cs var:t ?><?cs if:!last(t) ?>, <?cs /if ?><?cs /each ?>)<?cs /if ?>. Printed films or screenshots are not enough.</li>
  <li>Earlier breast images for comparison<?cs if:Letter.Prior ?> (<?cs var:Letter.Prior ?>)<?cs /if ?>, ideally from the last two years.</li>
  <li>The radiology reports of these exams.</li>
  <?cs if:Letter.Biopsy ?><li>The pathology report of my biopsy.</li><?cs /if ?>
</ul>
<p>I have the right to an electronic copy in the form I ask for if it is readily producible, for a reasonable, cost-based fee. Please act on this request within 30 days; if you need more time, please tell me in writing why, and the date by which you will send the records (one extension of up to 30 days).</p>
<p>Reference of my second-opinion request: <?cs var:Request.Reference ?></p>
<p class="rq-sign">Signature: ______________________________ &nbsp; Date: ______________</p>
<p>Date of birth: ______________</p>
<?cs call:print_frame_end() ?>
</article>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
