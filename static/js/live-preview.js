/*
 * The story change form's live preview (ports/admin/live_preview.py): the
 * form's current data, unsaved, posted into a frame beside the form half a
 * second after the editor stops typing, in the language being edited.
 * Each refresh loads a new frame and swaps it in once loaded, at the old
 * one's scroll position: the preview never flashes, and since a new frame's
 * first page replaces its blank one, Back never steps through previews.
 */
(function () {
  "use strict";

  var DELAY_MS = 500;
  var HIDDEN_KEY = "portwiki.admin.livePreviewHidden";

  function say(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("live-preview");
    var form = document.getElementById("story_form");
    if (!panel || !form) {
      return;
    }
    var editor = panel.closest(".story-editor");
    var frames = panel.querySelector(".live-preview-frames");
    var status = panel.querySelector(".live-preview-status");
    var heading = panel.querySelector(".live-preview-language");
    var toggle = panel.querySelector(".live-preview-toggle");
    var select = document.getElementById("edit-language");
    var language = select ? select.value : "en";
    var timer = null;
    var sent = null;
    var sequence = 0;
    // One preview is made at a time; a change meanwhile waits for it.
    var loading = false;
    var pending = false;

    function isHidden() {
      return editor.classList.contains("preview-hidden");
    }

    function formData() {
      var params = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string") {
          params.append(name, value);
        }
      });
      return params;
    }

    function show(frame, number) {
      var current = frames.querySelector("iframe.shown");
      try {
        if (current) {
          frame.contentWindow.scrollTo(0, current.contentWindow.scrollY);
        }
      } catch (error) {
        /* a frame that left the site: start at the top */
      }
      frame.classList.add("shown");
      Array.prototype.forEach.call(frames.querySelectorAll("iframe"), function (old) {
        if (Number(old.dataset.sequence) < number) {
          old.remove();
        }
      });
      status.textContent = isPreview(frame) ? say("Up to date") : say("Preview unavailable");
    }

    // A preview carries its banner; an error page (refused, failed, signed
    // out) does not, and must not pass for the story as typed.
    function isPreview(frame) {
      try {
        return Boolean(frame.contentDocument.querySelector(".preview-banner"));
      } catch (error) {
        return false; // a page from elsewhere
      }
    }

    function refresh() {
      window.clearTimeout(timer);
      if (isHidden()) {
        return;
      }
      if (loading) {
        pending = true;
        return;
      }
      var params = formData();
      var key = language + "\n" + params.toString();
      if (key === sent) {
        return;
      }
      sent = key;
      sequence += 1;
      var number = sequence;
      var frame = document.createElement("iframe");
      frame.name = "live-preview-" + number;
      frame.title = say("The story as readers would see it, unsaved");
      frame.dataset.sequence = String(number);
      frame.addEventListener("load", function () {
        show(frame, number);
        loading = false;
        if (pending) {
          pending = false;
          refresh();
        }
      });
      frames.appendChild(frame);

      // Textareas keep every line break of the values they carry.
      var poster = document.createElement("form");
      poster.method = "post";
      poster.action = panel.dataset.url + "?language=" + encodeURIComponent(language);
      poster.target = frame.name;
      poster.hidden = true;
      params.forEach(function (value, name) {
        var field = document.createElement("textarea");
        field.name = name;
        field.value = value;
        poster.appendChild(field);
      });
      document.body.appendChild(poster);
      status.textContent = say("Updating…");
      loading = true;
      poster.submit();
      poster.remove();
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    function setLanguage(code) {
      language = code;
      heading.textContent = "(" + code.toUpperCase() + ")";
    }

    function setHidden(hidden) {
      editor.classList.toggle("preview-hidden", hidden);
      toggle.setAttribute("aria-expanded", hidden ? "false" : "true");
      toggle.textContent = hidden ? say("Show") : say("Hide");
      try {
        window.localStorage.setItem(HIDDEN_KEY, hidden ? "1" : "");
      } catch (error) {
        /* not remembered */
      }
      if (!hidden) {
        refresh();
      }
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    document.addEventListener("formset:added", later);
    document.addEventListener("formset:removed", later);
    document.addEventListener("languageswitch", function (event) {
      setLanguage(event.detail.language);
      refresh();
    });
    toggle.addEventListener("click", function () {
      setHidden(!isHidden());
    });

    setLanguage(language);
    panel.hidden = false;
    var hidden = false;
    try {
      hidden = window.localStorage.getItem(HIDDEN_KEY) === "1";
    } catch (error) {
      /* shown */
    }
    setHidden(hidden);
  });
})();
