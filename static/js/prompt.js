// The prompt form as one types: the prompt is focused when the page opens (not on a phone,
// where that would pull up the keyboard, and not when htmx redraws the form: focus stays where
// the person put it), Ctrl+Enter (⌘+Enter) generates, and the prompt's length is counted
// against the chosen model's limit (its data-max) beside the field. And a prompt's
// "Copy" button (data-copy: the element holding it), shown where the browser can copy.
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
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var text = document.querySelector(button.dataset.copy).textContent;
    navigator.clipboard.writeText(text).then(function () {
      button.textContent = button.dataset.copied;
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    all(document);
    var prompt = document.querySelector("#prompt-form textarea[data-max]");
    if (prompt && !window.matchMedia("(max-width: 860px)").matches) prompt.focus();
    if (navigator.clipboard) {
      document.querySelectorAll("button[data-copy]").forEach(function (button) { button.hidden = false; });
    }
  });
  document.addEventListener("htmx:load", function (event) { all(event.detail.elt.parentNode || document); });
})();
