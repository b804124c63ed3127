/*
 * Upload progress: polls the JSON endpoint named in data-progress-url and
 * updates the elements marked with data-progress-field / data-progress-bar.
 * Reloads the page when the upload is finished, so the result is shown.
 * No inline script (Content-Security-Policy friendly); without JavaScript the
 * page refreshes itself through a <noscript> meta refresh and a link.
 */
(function () {
  "use strict";

  function start(box) {
    var url = box.getAttribute("data-progress-url");
    var interval = parseInt(box.getAttribute("data-interval"), 10) || 1500;
    var bar = box.querySelector("[data-progress-bar]");
    var failures = 0;

    function render(data) {
      var fields = document.querySelectorAll("[data-progress-field]");
      for (var i = 0; i < fields.length; i++) {
        var name = fields[i].getAttribute("data-progress-field");
        if (Object.prototype.hasOwnProperty.call(data, name)) {
          fields[i].textContent = String(data[name]);
        }
      }
      if (bar) {
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          render(data);
          if (data.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, interval);
          }
        })
        .catch(function () {
          failures += 1;
          // Back off on errors; the "刷新进度" link still works.
          window.setTimeout(poll, Math.min(interval * Math.pow(2, failures), 30000));
        });
    }

    window.setTimeout(poll, interval);
  }

  function init() {
    var boxes = document.querySelectorAll("[data-upload-progress]");
    for (var i = 0; i < boxes.length; i++) { start(boxes[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
