// The lightbox. A thumbnail marked `data-lightbox` links to its image's page; a click opens
// that page's content (_lightbox.html, asked for by HTMX) in the dialog#lightbox over the page,
// and the address becomes the image's: reload shows the image's page, back closes the lightbox.
// ← and → (the ‹ › buttons, a swipe) step through the `data-lightbox` links of the same
// `data-lightbox-group` (a listing's grid, a card's images); Escape, × or a click beside the
// image closes it. What was changed in it (a star, a board) shows in the page when it closes:
// the generations touched reload their tiles or card (`data-card`).
// On the image's own page (`data-lightbox-page`), ← and → follow its previous and next links.
(function () {
  "use strict";

  var dialog, group, shown = "", touched = new Set(), swipeFrom = null, goingBack = false;

  function linksOf(where) {
    return Array.prototype.slice.call(where.querySelectorAll("a[data-lightbox]"));
  }

  function typing(event) {
    return event.target.closest && event.target.closest("input, select, textarea");
  }

  function load(url) {
    shown = url;
    return htmx.ajax("GET", url, { target: dialog, swap: "innerHTML" }).then(function () {
      var links = linksOf(group), at = indexOf(links, shown);
      dialog.querySelectorAll("[data-step]").forEach(function (arrow) { // the listing's neighbours
        var neighbour = links[(at + Number(arrow.dataset.step) + links.length) % links.length];
        arrow.hidden = links.length < 2 || at < 0;
        if (!arrow.hidden) arrow.href = neighbour.href;
      });
      if (links.length > 1) new Image().src = links[(at + 1) % links.length].dataset.original || "";
      if (!dialog.contains(document.activeElement)) dialog.focus(); // the swap took the focus
    });
  }

  function indexOf(links, url) {
    for (var i = 0; i < links.length; i++) if (links[i].href === url) return i;
    return -1;
  }

  function step(by) {
    var links = linksOf(group); // afresh: "Load more" and live tiles change the listing
    if (links.length < 2) return;
    var at = Math.max(indexOf(links, shown), 0);
    var url = links[(at + by + links.length) % links.length].href;
    history.replaceState({ lightbox: url }, "", url); // back leaves the lightbox, not each step
    load(url);
  }

  function open(link) {
    group = link.closest("[data-lightbox-group]") || document.body;
    history.pushState({ lightbox: link.href }, "", link.href);
    load(link.href).then(function () { if (!dialog.open) dialog.showModal(); });
  }

  function closed() {
    if (history.state && history.state.lightbox && !goingBack) {
      goingBack = true;
      history.back(); // to the listing's own address
    }
    // Back to the thumbnail of the image it ended on, where the keyboard was or stepped to;
    // again once a reload below has replaced that thumbnail, unless the focus has moved on.
    var where = shown && new URL(shown).pathname;
    function refocus() {
      var link = where && document.querySelector('a[data-lightbox][href="' + where + '"]');
      var lost = !document.activeElement || document.activeElement === document.body;
      if (link && (lost || !document.activeElement.isConnected)) link.focus();
    }
    var links = linksOf(group), at = indexOf(links, shown);
    if (at >= 0) links[at].focus();
    touched.forEach(function (pk) { // show what was changed in the lightbox
      var shownThere = document.getElementById("generation-" + pk);
      if (shownThere && shownThere.dataset.card) {
        htmx.ajax("GET", shownThere.dataset.card, { target: shownThere, swap: "outerHTML" })
          .then(refocus);
      }
    });
    touched.clear();
    dialog.replaceChildren(); // stop loading a large original nobody looks at
    shown = "";
  }

  function wire() {
    dialog = document.getElementById("lightbox");
    if (!dialog) return;
    dialog.addEventListener("close", closed);
    dialog.addEventListener("click", function (event) {
      var control = event.target.closest("[data-step], [data-close]");
      if (control) {
        event.preventDefault();
        if (control.dataset.step) step(Number(control.dataset.step));
        else dialog.close();
      } else if (event.target === dialog || event.target.classList.contains("lightbox-stage")) {
        dialog.close(); // beside the image
      }
    });
    dialog.tabIndex = -1;
    dialog.addEventListener("touchstart", function (event) {
      swipeFrom = event.touches.length === 1 ? event.touches[0] : null;
    }, { passive: true });
    dialog.addEventListener("touchend", function (event) {
      if (!swipeFrom) return;
      var to = event.changedTouches[0];
      var across = to.clientX - swipeFrom.clientX, down = to.clientY - swipeFrom.clientY;
      swipeFrom = null;
      if (Math.abs(across) > 50 && Math.abs(across) > 2 * Math.abs(down)) step(across < 0 ? 1 : -1);
    });
    dialog.addEventListener("htmx:afterRequest", function (event) {
      var changed = event.detail.requestConfig && event.detail.requestConfig.verb === "post";
      var about = event.target.closest("[data-generation]");
      if (changed && about) touched.add(about.dataset.generation);
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-lightbox]");
    if (!link || event.defaultPrevented || !dialog || !window.htmx) return;
    // A middle click, or a click with a modifier key, still opens a new tab as asked.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    open(link);
  });

  // Before htmx's own handler, which would reload the page the lightbox lies over.
  window.addEventListener("popstate", function (event) {
    var wanted = event.state && event.state.lightbox;
    if (goingBack) {
      goingBack = false;
      event.stopImmediatePropagation();
    } else if (dialog && dialog.open && !wanted) {
      event.stopImmediatePropagation();
      dialog.close(); // gone back already: the address is the listing's again
    } else if (dialog && wanted && !dialog.open) { // forward, to the image again
      var link = document.querySelector('a[data-lightbox][href="' + new URL(wanted).pathname + '"]');
      if (link) {
        event.stopImmediatePropagation();
        group = link.closest("[data-lightbox-group]") || document.body;
        load(wanted).then(function () { dialog.showModal(); });
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (dialog && dialog.open) { // Escape closes a modal <dialog> by itself
      if (typing(event)) return;
      if (event.key === "ArrowLeft") { step(-1); event.preventDefault(); }
      else if (event.key === "ArrowRight") { step(1); event.preventDefault(); }
      return;
    }
    var page = document.querySelector("[data-lightbox-page]");
    if (!page || typing(event) || event.altKey || event.ctrlKey || event.metaKey) return;
    var rel = { ArrowLeft: "prev", ArrowRight: "next" }[event.key];
    var link = rel && page.querySelector('a[rel="' + rel + '"]');
    if (link) link.click();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
