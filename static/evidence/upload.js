/* Evidence intake page: drag and drop, resumable upload (tus) with progress, plain form as fallback.
   The file name travels only in the sealed upload metadata; nothing is kept in the browser's storage. */
(function () {
  "use strict";
  var form = document.getElementById("intake");
  if (!form) { return; }
  var input = document.getElementById("id_file");
  var zone = document.getElementById("dropzone");
  var progress = document.getElementById("progress");
  var status = document.getElementById("status");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var fields = ["collected_by", "collected_at", "place", "source", "method", "sensitivity"];

  function say(text) { status.textContent = text; }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; }
  });

  form.addEventListener("submit", function (event) {
    if (!window.tus || !window.tus.isSupported || !input.files.length) { return; }
    event.preventDefault();
    var file = input.files[0];
    var metadata = { filename: file.name };
    fields.forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) { metadata[name] = field.value; }
    });
    // The survivors concerned travel as a comma-separated list of ids, checked against the case.
    var chosen = Array.prototype.filter.call(form.querySelectorAll("input[name=survivors]"), function (box) {
      return box.checked;
    }).map(function (box) { return box.value; });
    if (chosen.length) { metadata.survivors = chosen.join(","); }
    var none = form.elements.no_survivor_material;
    if (none && none.checked) { metadata.no_survivor_material = "on"; }
    progress.hidden = false;
    progress.value = 0;
    var upload = new window.tus.Upload(file, {
      endpoint: form.dataset.tusEndpoint,
      metadata: metadata,
      headers: { "X-CSRFToken": csrf },
      retryDelays: [0, 3000, 10000, 30000, 60000, 120000],
      storeFingerprintForResuming: false,
      onProgress: function (sent, total) {
        progress.value = total ? Math.floor((sent / total) * 100) : 100;
        say(progress.value + " %");
      },
      onError: function () {
        say(form.dataset.errorText || "The upload stopped. Choose the file again to continue.");
      },
      onSuccess: function (payload) {
        var target = payload && payload.lastResponse && payload.lastResponse.getHeader("X-Custody-Item");
        window.location.assign(target || form.dataset.listUrl);
      }
    });
    say("0 %");
    upload.start();
  });
}());
