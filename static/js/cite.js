// "Cite this page": the access date in each citation is the reader's own
// day. The page may come from a cache that built it a day earlier, so the
// day it was built is replaced here, written as each style writes dates.
(function () {
  "use strict";

  var MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];
  var MLA_MONTHS = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July",
    "Aug.", "Sept.", "Oct.", "Nov.", "Dec."];

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  var today = new Date();
  var year = today.getFullYear();
  var month = today.getMonth();
  var day = today.getDate();
  var formats = {
    apa: MONTHS[month] + " " + day + ", " + year,
    mla: day + " " + MLA_MONTHS[month] + " " + year,
    iso: year + "-" + pad(month + 1) + "-" + pad(day),
    csl: year + ", " + (month + 1) + ", " + day
  };

  document.querySelectorAll("[data-access-date]").forEach(function (element) {
    var text = formats[element.getAttribute("data-access-date")];
    if (text) {
      element.textContent = text;
    }
  });
})();
