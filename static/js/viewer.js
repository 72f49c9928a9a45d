// The full-size image viewer.
//
// Inside an element marked `data-viewer-scope` (the detail and compare pages), a thumbnail link
// marked `data-viewer` (its href: the original image) opens the original in an overlay instead
// of a new tab; ← and → step through the links of the same `data-viewer-group` (the images of
// one card), Escape or a click beside the image closes it. `data-download` is the "Download
// original" link, `data-reference` the "Use as reference" one. Without JavaScript, or outside a scope, the link opens the original.
// Cards replaced by htmx need nothing: clicks are caught on the document.
// Its words are the page's, in the page's language: #viewer-words in base.html.
(function () {
  "use strict";

  var dialog, picture, count, caption, download, reference, items = [], current = 0;

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    var words = document.getElementById("viewer-words").dataset;
    dialog = element("dialog", { "class": "viewer", "aria-label": words.viewer });
    picture = element("img", { "class": "viewer-image", alt: "" });
    count = element("span", { "class": "viewer-count" });
    caption = element("span", { "class": "viewer-caption" });
    download = element("a", { "class": "viewer-download", download: "" }, words.download);
    reference = element("a", { "class": "viewer-reference" }, words.reference);
    var figure = element("figure");
    var bar = element("figcaption");
    bar.append(count, caption, reference, download);
    figure.append(picture, bar);
    var previous = element("button", { type: "button", "class": "viewer-previous", "aria-label": words.previous }, "‹");
    var next = element("button", { type: "button", "class": "viewer-next", "aria-label": words.next }, "›");
    var close = element("button", { type: "button", "class": "viewer-close", "aria-label": words.close }, "×");
    dialog.append(figure, previous, next, close);
    document.body.append(dialog);

    previous.addEventListener("click", function () { step(-1); });
    next.addEventListener("click", function () { step(1); });
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close(); // the backdrop, beside the image
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { step(-1); event.preventDefault(); }
      else if (event.key === "ArrowRight") { step(1); event.preventDefault(); }
    }); // Escape closes a modal <dialog> by itself
    dialog.addEventListener("close", function () {
      picture.removeAttribute("src"); // stop loading a large original nobody looks at
      var opener = items[current];
      if (opener && opener.isConnected) opener.focus();
    });
  }

  function show() {
    var link = items[current];
    var thumbnail = link.querySelector("img");
    picture.src = link.href;
    picture.alt = thumbnail ? thumbnail.alt : "";
    caption.textContent = thumbnail ? thumbnail.alt : "";
    count.textContent = items.length > 1 ? (current + 1) + " / " + items.length : "";
    download.href = link.dataset.download || link.href;
    download.hidden = !link.dataset.download;
    reference.href = link.dataset.reference || "";
    reference.hidden = !link.dataset.reference;
    dialog.classList.toggle("single", items.length < 2);
    if (items.length > 1) { // warm the cache for the next step
      new Image().src = items[(current + 1) % items.length].href;
    }
  }

  function step(by) {
    if (items.length < 2) return;
    current = (current + by + items.length) % items.length;
    show();
  }

  function open(link) {
    if (!dialog) build();
    var group = link.closest("[data-viewer-group]") || document;
    items = Array.prototype.slice.call(group.querySelectorAll("a[data-viewer]"));
    current = Math.max(items.indexOf(link), 0);
    show();
    if (!dialog.open) dialog.showModal();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-viewer-scope] a[data-viewer]");
    if (!link || event.defaultPrevented) return;
    // A middle click, or a click with a modifier key, still opens a new tab as asked.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    if (typeof HTMLDialogElement !== "function") return; // a browser too old: the plain link
    event.preventDefault();
    open(link);
  });
})();
