// The prompt form as one types: Ctrl+Enter (⌘+Enter) generates, and the prompt's length is
// counted against the chosen model's limit (its data-max) beside the field.
(function () {
  "use strict";

  function count(prompt) {
    var field = prompt.closest(".field");
    var counter = field.querySelector(".count");
    if (!counter) {
      counter = document.createElement("small");
      counter.className = "count";
      counter.setAttribute("aria-live", "polite");
      field.append(counter);
    }
    var most = Number(prompt.dataset.max);
    counter.textContent = prompt.value.length + " / " + most;
    counter.classList.toggle("over", prompt.value.length > most);
  }

  function all(root) {
    root.querySelectorAll("#prompt-form textarea[data-max]").forEach(count);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("#prompt-form textarea[data-max]")) count(event.target);
  });
  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("#prompt-form");
    if (form && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit(form.querySelector(".submit-row button[type=submit]"));
    }
  });
  document.addEventListener("DOMContentLoaded", function () { all(document); });
  document.addEventListener("htmx:load", function (event) { all(event.detail.elt.parentNode || document); });
})();
