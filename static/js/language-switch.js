/*
 * One language at a time on a translated change form: the switch shows every
 * field the admin tagged with the chosen language (data-language), in the
 * form and its inlines, rows added later included, and hides the others'
 * (hidden, not emptied: they are saved as they are). The choice is kept in
 * the browser and announced as a "languageswitch" event on the document.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "portwiki.admin.editLanguage";
  var FIELDS = "input[data-language], textarea[data-language], select[data-language]";

  function say(text) {
    return typeof window.gettext === "function" ? window.gettext(text) : text;
  }

  function rowOf(field) {
    return field.closest(".fieldBox, .form-row, td") || field;
  }

  function remembered() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (error) {
      return null; // storage refused: the form still works, without memory
    }
  }

  function remember(language) {
    try {
      window.localStorage.setItem(STORAGE_KEY, language);
    } catch (error) {
      /* as above */
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("edit-language");
    if (!select) {
      return;
    }
    var form = select.form;
    var codes = Array.prototype.map.call(select.options, function (option) {
      return option.value;
    });

    function show(language) {
      form.querySelectorAll(FIELDS).forEach(function (field) {
        rowOf(field).classList.toggle(
          "other-language",
          field.dataset.language !== language
        );
      });
      form.dataset.editLanguage = language;
      document.dispatchEvent(
        new CustomEvent("languageswitch", { detail: { language: language } })
      );
    }

    // Languages whose fields the server refused: named in the switch, and
    // shown first when the remembered language has nothing to correct.
    var withErrors = [];
    form.querySelectorAll(FIELDS).forEach(function (field) {
      var language = field.dataset.language;
      if (rowOf(field).querySelector(".errorlist") && withErrors.indexOf(language) < 0) {
        withErrors.push(language);
      }
    });
    Array.prototype.forEach.call(select.options, function (option) {
      if (withErrors.indexOf(option.value) >= 0) {
        option.textContent += " (" + say("has errors") + ")";
      }
    });

    var chosen = remembered();
    if (codes.indexOf(chosen) < 0) {
      chosen = codes[0];
    }
    if (withErrors.length && withErrors.indexOf(chosen) < 0) {
      chosen = withErrors[0];
    }
    select.value = chosen;
    select.closest(".language-switch").hidden = false;
    show(chosen);

    select.addEventListener("change", function () {
      remember(select.value);
      show(select.value);
    });
    // The admin's "Add another" copies an empty row with every language.
    document.addEventListener("formset:added", function () {
      show(select.value);
    });
  });
})();
