// What folds away on a phone.
//
// A `<details data-fold open>` (the menu, the prompt form's options, the list filters) is drawn
// open, so without JavaScript everything shows. Here it is closed on a narrow screen and opened
// on a wide one (where the stylesheet hides its summary), at load, when the width crosses
// NARROW, and in what htmx swaps in; a redrawn one keeps the state the person left it in, and
// one holding a field that says what is wrong opens.
(function () {
  "use strict";

  var narrow = window.matchMedia("(max-width: 860px)");
  var left = {}; // id -> open, as the person left it

  function fold(root) {
    root.querySelectorAll("details[data-fold]").forEach(function (details) {
      if (details.querySelector(".invalid, [role=alert]")) details.open = true; // says what is wrong
      else details.open = details.id in left ? left[details.id] : !narrow.matches;
    });
  }

  // A value the browser itself refuses (a number out of range) in a folded field: unfold it, so
  // the browser can point at it rather than refuse the form without a word.
  document.addEventListener("invalid", function (event) {
    var details = event.target.closest("details[data-fold]");
    if (details) details.open = true;
  }, true);

  // Read from what htmx is about to replace, not from toggle events: a redrawn one, drawn
  // open, fires one too, and would be taken for the person opening it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!narrow.matches) return;
    event.detail.target.querySelectorAll("details[data-fold][id]").forEach(function (details) {
      left[details.id] = details.open;
    });
  });
  narrow.addEventListener("change", function () { left = {}; fold(document); });
  document.addEventListener("DOMContentLoaded", function () { fold(document); });
  document.addEventListener("htmx:load", function (event) { fold(event.detail.elt); });
})();
