// "Use as reference" on a page that holds the prompt form adds the image to the form where it
// is, keeping what was typed (the server redraws the form with it); anywhere else, or without
// JavaScript, the link opens the form with that image.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.use-reference");
    var form = document.getElementById("prompt-form");
    if (!link || !form || !window.htmx) return;
    event.preventDefault();
    var dialog = link.closest("dialog");
    if (dialog) dialog.close();
    var token = new URL(link.href, window.location.href).searchParams.get("reference");
    window.htmx.ajax("POST", form.getAttribute("action"), {
      source: form,
      values: { add_reference: token },
      target: form,
      swap: "outerHTML",
    }).then(function () {
      document.getElementById("references").scrollIntoView({ block: "nearest" });
    });
  });
})();
