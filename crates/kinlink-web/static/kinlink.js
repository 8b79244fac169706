// kinlink: progressive enhancement only. Every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The language picker applies on change (its button stays for keyboards and no-JS).
  var picker = document.getElementById("lang-select");
  if (picker && picker.form) {
    picker.addEventListener("change", function () { picker.form.submit(); });
  }
  // A form is sent once: a second click on a slow connection does not post twice.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
});
