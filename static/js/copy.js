// Copy buttons for the "How to check what's listening" commands.
// Progressive enhancement: without JavaScript the commands are plain,
// selectable text and no button exists. The button's place is reserved in
// the stylesheet, so adding it shifts nothing. No inline script is needed.
(function () {
  "use strict";

  function copyText(text, code) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Older browsers and plain-HTTP pages: select the text and copy it.
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    return copied ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function enhance(section) {
    var label = section.getAttribute("data-copy-label") || "Copy";
    var done = section.getAttribute("data-copied-label") || "Copied";
    var status = section.querySelector(".copy-status");
    section.querySelectorAll("[data-copy]").forEach(function (block) {
      var code = block.querySelector("code");
      if (!code) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-button";
      button.textContent = label;
      button.setAttribute("aria-label", label + ": " + code.textContent);
      button.addEventListener("click", function () {
        copyText(code.textContent, code).then(
          function () {
            button.textContent = done;
            if (status) {
              status.textContent = done + ": " + code.textContent;
            }
            window.setTimeout(function () {
              button.textContent = label;
            }, 2000);
          },
          function () {
            // Leave the text selected so that the reader can copy it by hand.
            var range = document.createRange();
            range.selectNodeContents(code);
            window.getSelection().removeAllRanges();
            window.getSelection().addRange(range);
          }
        );
      });
      block.appendChild(button);
    });
  }

  document.querySelectorAll("[data-copy-label]").forEach(enhance);
})();
