// Polling that pauses while its tab is hidden.
//
// An element marked `data-while-visible` sends no htmx request while the document is hidden;
// with `visibilitychange from:document` in its hx-trigger it asks at once when the tab is shown
// again. A trigger filter such as `[document.visibilityState === 'visible']` would say the same,
// but htmx runs filters as code, which the Content-Security-Policy (no 'unsafe-eval') forbids.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && event.detail.elt.hasAttribute("data-while-visible")) {
      event.preventDefault();
    }
  });
})();
