// Agenda, progressive enhancement only: the page works the same without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("agenda-date-form");
  if (form) {
    // Picking a day shows it at once; the "Show" button is for browsers without JS.
    var input = form.querySelector(".js-submit-on-change");
    var button = form.querySelector(".js-agenda-go");
    if (input && button) {
      button.hidden = true;
      input.addEventListener("change", function () { if (input.value) { form.submit(); } });
    }
  }
  // Today: bring the "now" line into view inside the scrolling agenda.
  var now = document.querySelector(".agenda-now-line");
  var scroller = document.querySelector(".agenda-scroll");
  if (now && scroller) {
    scroller.scrollTop = Math.max(0, now.offsetTop - scroller.clientHeight / 3);
  }
})();
