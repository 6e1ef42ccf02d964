// Puts back the entries of a form that sudo mode interrupted. It never sends the form: the person checks
// the entries and presses the button again. Hidden fields keep what the page itself set.
(function () {
  "use strict";
  var node = document.getElementById("sudo-resume");
  if (!node) {
    return;
  }
  var kept = JSON.parse(node.textContent);

  function restore(form, name, values) {
    var used = 0;
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name !== name || field.type === "hidden" || field.type === "file" || field.type === "submit") {
        return;
      }
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.indexOf(field.value) !== -1;
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = values.indexOf(option.value) !== -1;
        });
      } else if (used < values.length) {
        field.value = values[used];
        used += 1;
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") {
      return;
    }
    if (new URL(form.action, document.baseURI).pathname !== kept.action) {
      return;
    }
    Object.keys(kept.fields).forEach(function (name) {
      restore(form, name, kept.fields[name]);
    });
    form.setAttribute("data-restored", "true");
  });
})();
