// Polls the build's progress and reloads the page once the build has finished or failed.
(function () {
  "use strict";
  var bar = document.getElementById("progress");
  if (!bar) { return; }
  var text = document.getElementById("progress-text");
  function poll() {
    fetch(bar.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        bar.max = data.total; bar.value = data.done;
        text.textContent = data.done + " / " + data.total;
        if (data.state !== "building") { window.location.reload(); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
