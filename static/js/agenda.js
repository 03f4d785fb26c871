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
  // Today: scroll the page so that the "now" line sits a third of the way down the
  // window (unless the address points somewhere in the page).
  var now = document.querySelector(".agenda-now-line");
  if (now && !window.location.hash) {
    var top = now.getBoundingClientRect().top + window.scrollY;
    window.scrollTo(window.scrollX, Math.max(0, top - window.innerHeight / 3));
  }
})();
