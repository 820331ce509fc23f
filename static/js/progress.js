// Progress bars of background work (templates/includes/progress.html): ask the page's progress
// URL every second and move the bar; reload the page when the work is done, so it shows the
// preview or the download link. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  function show(box, data) {
    var bar = box.querySelector(".progress-bar");
    var outer = box.querySelector(".progress");
    var percent = data.total ? Math.min(100, Math.round((100 * data.done) / data.total)) : 0;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    outer.setAttribute("aria-valuenow", data.done);
    outer.setAttribute("aria-valuemax", data.total);
    box.querySelector(".js-progress-label").textContent = data.label;
    box.querySelector(".js-progress-text").textContent = box.getAttribute("data-text")
      .replace("{done}", data.done).replace("{total}", data.total);
    if (data.finished) { bar.classList.remove("progress-bar-striped", "progress-bar-animated"); }
  }
  function poll(box) {
    fetch(box.getAttribute("data-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        show(box, data);
        if (data.finished) {
          if (box.hasAttribute("data-reload")) { window.location.reload(); }
          return;
        }
        window.setTimeout(function () { poll(box); }, 1000);
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, 3000); });
  }
  document.querySelectorAll(".js-progress").forEach(function (box) {
    var initial = box.querySelector("script[type='application/json']");
    var data = initial ? JSON.parse(initial.textContent) : null;
    if (data) { show(box, data); }
    if (!data || !data.finished) { window.setTimeout(function () { poll(box); }, 1000); }
  });
})();
