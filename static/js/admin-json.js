/*
 * JSON from the story form's own endpoints (autosave.js, presence.js): the
 * admin's session, the form's CSRF token where one is given, and an answer
 * other than 2xx taken as a failure.
 */
(function () {
  "use strict";

  window.portwikiJSON = function (url, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    if (options.csrf) {
      headers["X-CSRFToken"] = options.csrf;
    }
    return fetch(url, {
      method: options.method || "GET",
      body: options.body,
      credentials: "same-origin",
      headers: headers,
    }).then(function (response) {
      if (!response.ok) {
        throw new Error(response.status);
      }
      return response.json();
    });
  };
})();
