<?cs include:"_macros.cs" ?>
<?cs def:content() ?>
<link rel="stylesheet" href="/static/css/viewer.css">
<section class="viewer-page" id="viewer" data-api="<?cs var:Viewer.Api ?>" data-request="<?cs var:Viewer.RequestId ?>" aria-labelledby="viewer-h">
<h1 id="viewer-h">Images for request <?cs var:Viewer.Reference ?></h1>
<p><a href="<?cs var:url_validate(Viewer.Back) ?>"><?cs var:Viewer.BackLabel ?></a></p>
<?cs if:Viewer.Notice == "1" ?><p class="viewer-notice" id="viewer-notice" role="note"><strong>For review only: diagnostic reading of mammograms needs an FDA-cleared display.</strong></p><?cs /if ?>
<noscript><p class="field-error">The image viewer needs JavaScript. You can still download the files from the previous page.</p></noscript>

<div class="viewer-status" id="viewer-status" role="status" aria-live="polite">Loading the list of images…</div>

<section class="study-browser" aria-labelledby="studies-h">
  <h2 id="studies-h">Studies</h2>
  <ul id="study-list" class="study-list"></ul>
</section>

<section class="viewer-main" aria-labelledby="display-h">
  <h2 id="display-h" class="visually-hidden">Display</h2>
  <div class="viewer-toolbar" role="toolbar" aria-label="Viewer tools" id="viewer-toolbar">
    <fieldset class="tool-group layout-group"><legend>Layout</legend>
      <button type="button" data-layout="hanging" aria-pressed="true">Four views <kbd>1</kbd></button>
      <button type="button" data-layout="compare" aria-pressed="false">Current and prior <kbd>2</kbd></button>
      <button type="button" data-layout="single" aria-pressed="false">One view <kbd>3</kbd></button>
      <button type="button" data-layout="pair" aria-pressed="false">Both breasts, one view <kbd>4</kbd></button>
    </fieldset>
    <fieldset class="tool-group"><legend>Mouse drag does</legend>
      <button type="button" data-tool="window" aria-pressed="true">Window <kbd>W</kbd></button>
      <button type="button" data-tool="pan" aria-pressed="false">Move <kbd>P</kbd></button>
      <button type="button" data-tool="measure" aria-pressed="false">Measure <kbd>M</kbd></button>
      <button type="button" data-tool="magnify" aria-pressed="false">Magnifier <kbd>G</kbd></button>
    </fieldset>
    <fieldset class="tool-group"><legend>Image</legend>
      <button type="button" data-action="zoom-in">Zoom in <kbd>+</kbd></button>
      <button type="button" data-action="zoom-out">Zoom out <kbd>−</kbd></button>
      <button type="button" data-action="one-to-one">True size 1:1 <kbd>O</kbd></button>
      <button type="button" data-action="invert" aria-pressed="false">Invert <kbd>I</kbd></button>
      <button type="button" data-action="overlay" aria-pressed="true">Text on images <kbd>T</kbd></button>
      <button type="button" data-action="reset">Reset <kbd>R</kbd></button>
    </fieldset>
    <fieldset class="tool-group"><legend>Window</legend>
      <label for="preset">Preset <kbd>V</kbd></label>
      <select id="preset"><option value="">From the file</option></select>
    </fieldset>
  </div>
  <div class="view-switcher" id="view-switcher" role="group" aria-label="Which view to show"></div>
  <div class="hanging" id="hanging" data-layout="hanging"></div>
  <p class="measure-result" id="measure-result" aria-live="polite"></p>
</section>

<details class="viewer-help">
  <summary>Keyboard shortcuts</summary>
  <dl>
    <dt><kbd>Tab</kbd></dt><dd>Move between the views (each view is one stop) and the tools.</dd>
    <dt><kbd>1</kbd> <kbd>2</kbd> <kbd>3</kbd> <kbd>4</kbd></dt><dd>Four views; current and prior of the view in focus; that view alone; both breasts in that view, back to back.</dd>
    <dt><kbd>←</kbd> <kbd>→</kbd> <kbd>↑</kbd> <kbd>↓</kbd></dt><dd>Move the image (all views together).</dd>
    <dt><kbd>+</kbd> <kbd>−</kbd></dt><dd>Zoom in and out (all views together).</dd>
    <dt><kbd>Shift</kbd> + arrows</dt><dd>Window: ← → width, ↑ ↓ level.</dd>
    <dt><kbd>V</kbd></dt><dd>Next window preset from the file.</dd>
    <dt><kbd>Page Up</kbd> <kbd>Page Down</kbd>, <kbd>,</kbd> <kbd>.</kbd></dt><dd>Previous and next frame of a multi-frame image (also the mouse wheel).</dd>
    <dt><kbd>O</kbd></dt><dd>True size: one screen pixel per image pixel.</dd>
    <dt><kbd>I</kbd>, <kbd>T</kbd>, <kbd>R</kbd></dt><dd>Invert, hide or show the text on the images, reset.</dd>
    <dt><kbd>W</kbd> <kbd>P</kbd> <kbd>M</kbd> <kbd>G</kbd></dt><dd>What dragging does: window, move, measure, magnifier. <kbd>G</kbd> on a view shows the magnifier in its middle; the arrows move it, <kbd>Escape</kbd> hides it.</dd>
    <dt><kbd>Enter</kbd></dt><dd>On a view in the four-view layout: show it alone; <kbd>Escape</kbd> goes back.</dd>
    <dt><kbd>M</kbd>, then <kbd>Enter</kbd></dt><dd>Measure without a mouse: a cross appears in the middle of the view; the arrows move it, <kbd>Enter</kbd> sets the first point, the arrows draw the line, <kbd>Enter</kbd> sets the second and the distance is read out; <kbd>Escape</kbd> cancels.</dd>
    <dt><kbd>[</kbd> <kbd>]</kbd></dt><dd>One view: previous and next view.</dd>
  </dl>
  <p>On a touch screen: drag with one finger, pinch with two to zoom.</p>
</details>
</section>
<script src="/static/js/viewer_lut.js" defer></script>
<script src="/static/js/viewer.js" defer></script>
<?cs /def ?>
<?cs include:"_layout.cs" ?>
