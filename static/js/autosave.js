/*
 * Autosave of the story change form (ports/editorial/autosave.py): while the
 * editor types, the form is posted in the background at most every five
 * seconds, as their own working copy, never as a revision. When they open
 * the story again with such a copy kept, a notice offers to restore it into
 * the form (keeping the version it was based on, so the usual check refuses
 * a save over someone else's newer one) or to discard it; autosave waits
 * for that choice so the kept copy is not replaced unseen.
 */
(function () {
  "use strict";

  var EVERY_MS = 5000;

  function say(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function formPairs(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") {
        params.append(name, value);
      }
    });
    return params;
  }

  function refill(form, pairs) {
    var saved = {};
    pairs.forEach(function (pair) {
      (saved[pair[0]] = saved[pair[0]] || []).push(pair[1]);
    });
    // Rows the kept form had beyond the page's: added as "Add another" would.
    Object.keys(saved).forEach(function (name) {
      var match = /^(.*)-TOTAL_FORMS$/.exec(name);
      var total = match && form.elements[name];
      var group = match && document.getElementById(match[1] + "-group");
      var add = group && group.querySelector(".add-row a");
      while (total && add && Number(total.value) < Number(saved[name][0])) {
        var before = total.value;
        add.click();
        if (total.value === before) {
          break;
        }
      }
    });
    Array.prototype.forEach.call(form.elements, function (field) {
      var values = saved[field.name];
      if (!field.name || field.name === "csrfmiddlewaretoken" || !values) {
        if (field.type === "checkbox" && field.name && /-DELETE$/.test(field.name)) {
          field.checked = false;
        }
        return;
      }
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.indexOf(field.value) >= 0;
      } else if (field.tagName === "SELECT" && field.multiple) {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = values.indexOf(option.value) >= 0;
        });
      } else if (field.type !== "submit" && field.type !== "button" && field.type !== "file") {
        if (field.value !== values[0]) {
          field.value = values[0];
          // For what follows the fields: counters, the live preview.
          field.dispatchEvent(new Event("input", { bubbles: true }));
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("story_form");
    var status = document.getElementById("autosave-status");
    if (!form || !status) {
      return;
    }
    var url = status.dataset.url;
    var notice = document.getElementById("autosave-notice");
    var csrf = form.elements.csrfmiddlewaretoken.value;
    var waiting = Boolean(notice); // for the editor's choice on a kept copy
    var timer = null;
    var inFlight = null;
    var stopped = false;
    var sent = formPairs(form).toString();

    function save() {
      timer = null;
      if (stopped || waiting) {
        return;
      }
      var body = formPairs(form);
      var key = body.toString();
      if (key === sent) {
        return;
      }
      inFlight = window
        .portwikiJSON(url, { method: "POST", body: body, csrf: csrf })
        .then(function (answer) {
          sent = key;
          status.textContent = interpolate(
            say("Unsaved changes kept at %s (autosave)."),
            [answer.saved_at_display]
          );
        })
        .catch(function () {
          status.textContent = say("Autosave failed: your changes are only in this tab.");
        })
        .finally(function () {
          inFlight = null;
        });
    }

    function interpolate(text, values) {
      return typeof window.interpolate === "function"
        ? window.interpolate(text, values)
        : text.replace("%s", values[0]);
    }

    function changed() {
      if (!timer) {
        timer = window.setTimeout(save, EVERY_MS);
      }
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    document.addEventListener("formset:added", changed);
    document.addEventListener("formset:removed", changed);

    // Saving deletes the kept copy: an autosave still on its way must land
    // first, and none may follow.
    form.addEventListener("submit", function (event) {
      stopped = true;
      window.clearTimeout(timer);
      if (inFlight) {
        event.preventDefault();
        var submitter = event.submitter;
        inFlight.then(function () {
          form.requestSubmit(submitter || undefined);
        });
      }
    });

    // A tab closed or left between two autosaves keeps what was typed since
    // the last; the form's data carries its CSRF token.
    window.addEventListener("pagehide", function () {
      if (stopped || waiting || !navigator.sendBeacon) {
        return;
      }
      var body = formPairs(form);
      if (body.toString() !== sent) {
        navigator.sendBeacon(url, body);
      }
    });

    if (!notice) {
      return;
    }
    notice.hidden = false;
    function answered(message) {
      waiting = false;
      notice.remove();
      status.textContent = message;
      sent = null; // what is in the form now is worth keeping
      changed();
    }
    notice.querySelector(".autosave-restore").addEventListener("click", function () {
      window
        .portwikiJSON(url)
        .then(function (kept) {
          refill(form, kept.data);
          answered(say("Unsaved changes restored: save the story to keep them."));
        })
        .catch(function () {
          status.textContent = say("The kept changes could not be read.");
        });
    });
    notice.querySelector(".autosave-discard").addEventListener("click", function () {
      fetch(url, {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf },
      }).then(function () {
        answered(say("Unsaved changes discarded."));
      });
    });
  });
})();
