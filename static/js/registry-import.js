/*
 * The registry import's progress, on the admin's import pages.
 *
 * Upload form (#upload-registry): the file goes up with XMLHttpRequest, the
 * only way a page learns how much of an upload has been sent, so the bar
 * counts bytes sent of the file's size. Once sent, the bar turns
 * indeterminate while the server reads the file and compares it with the
 * registry, and the page's main content is replaced with the preview (or
 * the refusal) that the server answers, as a plain form post would have
 * shown it. Without JavaScript the form is an ordinary upload.
 *
 * Status page (#import-status with data-progress-url): asks for the queued
 * import's progress every second and moves the bar; once the import is done
 * it reloads the page, which then shows the outcome. Without JavaScript a
 * <noscript> refresh reloads the page instead.
 */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var MAX_FAILURES = 5;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return name in values ? values[name] : match;
    });
  }

  function size(bytes) {
    if (bytes < 1024 * 1024) {
      return Math.max(1, Math.round(bytes / 1024)) + " KB";
    }
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function upload(form) {
    var box = form.querySelector(".upload-progress");
    var bar = box.querySelector("progress");
    var text = box.querySelector(".progress-text");
    var button = form.querySelector("input[type=submit]");
    var request = new XMLHttpRequest();

    function failed(reason) {
      box.classList.add("failed");
      bar.hidden = true;
      text.textContent = fill(box.dataset.failed, { reason: reason });
      button.disabled = false;
    }

    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) {
        return;
      }
      bar.max = event.total;
      bar.value = event.loaded;
      text.textContent = fill(box.dataset.sending, {
        done: size(event.loaded),
        total: size(event.total),
      });
    });
    request.upload.addEventListener("load", function () {
      // Sent: what remains is the server's reading, of unknown length.
      bar.removeAttribute("value");
      text.textContent = box.dataset.reading;
    });
    request.addEventListener("load", function () {
      if (request.status !== 200) {
        failed(request.status + " " + request.statusText);
        return;
      }
      if (request.responseURL && request.responseURL !== form.action) {
        // Redirected, e.g. to sign in again: go where the server sends us.
        window.location.assign(request.responseURL);
        return;
      }
      // Parsed in a <template>, whose contents stay inert: unlike a
      // DOMParser document, its <style> is never applied, so the page's
      // CSP has nothing to refuse (the new page's nonce is not this one's).
      var answer = document.createElement("template");
      answer.innerHTML = request.responseText;
      var content = answer.content.getElementById("content-start");
      var current = document.getElementById("content-start");
      if (!content || !current) {
        failed(request.status + " " + request.statusText);
        return;
      }
      current.replaceWith(document.importNode(content, true));
      content = document.getElementById("content-start");
      var title = answer.content.querySelector("title");
      if (title) {
        document.title = title.textContent;
      }
      window.scrollTo(0, 0);
      content.focus();
    });
    request.addEventListener("error", function () {
      failed("network error");
    });
    request.addEventListener("timeout", function () {
      failed("timeout");
    });

    box.classList.remove("failed");
    box.hidden = false;
    bar.hidden = false;
    bar.value = 0;
    text.textContent = "";
    button.disabled = true;
    request.open("POST", form.action);
    request.send(new FormData(form));
  }

  function follow(status) {
    var bar = status.querySelector("progress");
    var statusText = status.querySelector(".status-text");
    var progressText = status.querySelector(".progress-text");
    var failures = 0;

    function poll() {
      fetch(status.dataset.progressUrl, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (state) {
          failures = 0;
          if (state.finished) {
            window.location.reload();
            return;
          }
          status.dataset.status = state.status;
          statusText.textContent = state.text;
          if (state.total) {
            bar.max = state.total;
            bar.value = state.done;
            progressText.textContent = state.progress_text;
          }
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          failures += 1;
          if (failures >= MAX_FAILURES) {
            // Let the page itself say what is wrong.
            window.location.reload();
            return;
          }
          window.setTimeout(poll, POLL_MS * failures);
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "upload-registry" && window.FormData) {
      event.preventDefault();
      upload(form);
    } else if (form.id === "confirm-import") {
      // One confirmation queues one import: a second click would queue
      // another, whose page would then report the file as already gone.
      if (form.dataset.submitted) {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "true";
      // Disabled after the form's data is taken, which includes the button.
      window.setTimeout(function () {
        form.querySelector("input[type=submit]").disabled = true;
      }, 0);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var status = document.querySelector("#import-status[data-progress-url]");
    if (status) {
      follow(status);
    }
  });
})();
