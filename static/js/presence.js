/*
 * Who else has this story's change form open (ports/editorial/presence.py):
 * the form pings every twenty seconds and when its tab comes back into view,
 * and shows who else is present and since when. It also warns as soon as
 * someone saves a version newer than the one the form is based on, before
 * the editor's own save is refused for it.
 */
(function () {
  "use strict";

  var EVERY_MS = 20000;

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("presence");
    if (!box) {
      return;
    }
    var url = box.dataset.url;
    var form = box.closest("form");
    var csrf = form.elements.csrfmiddlewaretoken.value;
    var saved = box.querySelector(".presence-saved");
    var others = box.querySelector(".presence-others");
    var submitting = false;

    // The version a save from this form would be based on: a restored
    // autosave's, after a restore.
    function version() {
      var field = form.elements.edit_version;
      return field ? field.value : box.dataset.version;
    }

    function setText(element, text) {
      // Only a change is written, so a screen reader hears only news.
      if (element.textContent !== text) {
        element.textContent = text;
      }
      element.hidden = !text;
    }

    function ping() {
      var body = new URLSearchParams({ version: version() });
      window
        .portwikiJSON(url, { method: "POST", body: body, csrf: csrf })
        .then(function (answer) {
          setText(saved, answer.saved_text);
          setText(others, answer.others_text);
          box.hidden = !(answer.saved_text || answer.others_text);
        })
        .catch(function () {
          /* the next ping tries again */
        });
    }

    form.addEventListener("submit", function () {
      submitting = true;
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        ping();
      }
    });
    // Closed or left, but not saved (the saved form opens again at once).
    window.addEventListener("pagehide", function () {
      if (!submitting && navigator.sendBeacon) {
        var data = new FormData();
        data.append("csrfmiddlewaretoken", csrf);
        data.append("leave", "1");
        navigator.sendBeacon(url, data);
      }
    });
    window.setInterval(ping, EVERY_MS);
    ping();
  });
})();
