/*
 * A visible count of characters for the admin's fields with a limit
 * (data-max-length): the field takes whatever is typed or pasted, and the
 * count turns red past the limit, which saving then refuses with a message,
 * instead of the browser cutting the text without a word.
 */
(function () {
  "use strict";

  function attach(input) {
    var limit = parseInt(input.dataset.maxLength, 10);
    var counter = document.createElement("span");
    counter.className = "length-counter";
    counter.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", counter);
    function update() {
      var length = input.value.length;
      counter.textContent = length + " / " + limit;
      counter.classList.toggle("over-limit", length > limit);
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
