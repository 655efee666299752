/*
 * "Was this page helpful?" answered in place: the prompt's forms are posted
 * with fetch (asking for JSON) and the reply replaces them, without a reload.
 * Without this script the same forms post normally and return to the page.
 */
(function () {
  "use strict";

  var box = document.getElementById("feedback");
  if (!box || !window.fetch || !window.FormData) {
    return;
  }
  var status = box.querySelector(".feedback-status");
  var commentForm = box.querySelector(".feedback-comment");
  var lastButton = null;

  // Which button sent the form (event.submitter is missing in older browsers).
  box.addEventListener("click", function (event) {
    var button = event.target.closest("button[type=submit]");
    if (button) {
      lastButton = button;
    }
  });

  function setBusy(form, busy) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
      b.disabled = busy;
    });
  }

  box.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    var data = new FormData(form);
    var button = event.submitter || lastButton;
    if (button && button.name && form.contains(button)) {
      data.append(button.name, button.value);
    }
    setBusy(form, true);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      // The browser says where the post comes from (Sec-Fetch-Site,
      // Origin); the page carries no token of its own.
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body };
          },
          function () {
            return { ok: false, body: {} };
          }
        );
      })
      .then(function (result) {
        status.removeAttribute("lang");
        status.textContent = result.body.message || box.dataset.errorMessage;
        if (!result.ok) {
          setBusy(form, false);
          return;
        }
        form.hidden = true;
        if (result.body.ask_comment && commentForm) {
          commentForm.hidden = false;
          commentForm.querySelector("textarea").focus();
        }
      })
      .catch(function () {
        status.textContent = box.dataset.errorMessage;
        setBusy(form, false);
      });
  });
})();
