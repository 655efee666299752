/*
 * A visible count of characters for the admin's fields with a limit
 * (data-max-length): the field takes whatever is typed or pasted, and the
 * count turns red past the limit, which saving then refuses with a message,
 * instead of the browser cutting the text without a word.
 */
(function () {
  "use strict";

  function say(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function interpolate(text, values) {
    return typeof window.interpolate === "function"
      ? window.interpolate(text, values)
      : text.replace("%s", values[0]);
  }

  function attach(input) {
    var limit = parseInt(input.dataset.maxLength, 10);
    // The count is read with the field (aria-describedby), not announced at
    // every keystroke; crossing the limit is, once, by a separate region.
    var counter = document.createElement("span");
    counter.className = "length-counter";
    counter.id = input.id + "-length";
    var alert = document.createElement("span");
    alert.className = "visually-hidden";
    alert.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", counter);
    counter.insertAdjacentElement("afterend", alert);
    input.setAttribute(
      "aria-describedby",
      [input.getAttribute("aria-describedby"), counter.id].filter(Boolean).join(" ")
    );
    var wasOver = null;
    function update() {
      // Characters, as Django counts them, not UTF-16 code units: an emoji is one.
      var length = Array.from(input.value).length;
      var over = length > limit;
      counter.textContent = length + " / " + limit;
      counter.classList.toggle("over-limit", over);
      if (wasOver !== null && over !== wasOver) {
        alert.textContent = interpolate(
          over
            ? say("Over the limit of %s characters.")
            : say("Within the limit of %s characters again."),
          [limit]
        );
      }
      wasOver = over;
    }
    input.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(
      document.querySelectorAll("input[data-max-length]"),
      attach
    );
  });
})();
