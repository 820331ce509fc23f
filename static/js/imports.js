// Import pages: the progress bar reads its numbers from json_script (no inline scripts: CSP).
(function () {
  "use strict";
  var data = document.getElementById("import-progress");
  var bar = document.querySelector(".js-import-progress .progress-bar");
  if (!data || !bar) { return; }
  var progress = JSON.parse(data.textContent);
  var percent = progress.total ? Math.round((100 * progress.done) / progress.total) : 0;
  bar.style.width = percent + "%";
  bar.textContent = percent + "%";
})();
