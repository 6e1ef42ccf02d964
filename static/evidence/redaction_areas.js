/* Redaction review: drag a rectangle on the page preview; its corners, in PDF points from the top-left
   corner of the page, fill the area form (which also works by typing the numbers). */
(function () {
  "use strict";
  var frame = document.getElementById("preview-frame");
  var image = document.getElementById("page-preview");
  var form = document.getElementById("area-form");
  if (!frame || !image || !form) { return; }
  var dpi = parseFloat(image.getAttribute("data-dpi")) || 100;
  var box = document.createElement("div");
  box.className = "drawn-area";
  box.hidden = true;
  frame.appendChild(box);
  var start = null;

  function clamp(value, low, high) { return Math.min(Math.max(value, low), high); }

  function at(event) {
    var rect = image.getBoundingClientRect();
    return { x: clamp(event.clientX - rect.left, 0, rect.width), y: clamp(event.clientY - rect.top, 0, rect.height) };
  }

  function points(pixels) {
    // Shown pixels → rendered pixels → points (the preview is rendered at `dpi`).
    var shown = image.getBoundingClientRect().width || 1;
    return Math.round(pixels * (image.naturalWidth / shown) * 72 / dpi * 100) / 100;
  }

  function show(a, b) {
    box.hidden = false;
    box.style.left = Math.min(a.x, b.x) + "px";
    box.style.top = Math.min(a.y, b.y) + "px";
    box.style.width = Math.abs(a.x - b.x) + "px";
    box.style.height = Math.abs(a.y - b.y) + "px";
  }

  function fill(a, b) {
    form.elements.left.value = points(Math.min(a.x, b.x));
    form.elements.top.value = points(Math.min(a.y, b.y));
    form.elements.right.value = points(Math.max(a.x, b.x));
    form.elements.bottom.value = points(Math.max(a.y, b.y));
  }

  frame.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    start = at(event);
    frame.setPointerCapture(event.pointerId);
    show(start, start);
  });
  frame.addEventListener("pointermove", function (event) {
    if (start) { show(start, at(event)); }
  });
  frame.addEventListener("pointerup", function (event) {
    if (!start) { return; }
    var end = at(event);
    show(start, end);
    fill(start, end);
    start = null;
    form.querySelector("button[type=submit]").focus();
  });
}());
