// The provider's day beside the booking form: progressive enhancement only. Without
// JavaScript the panel stays hidden and the date and time are typed as before.
(function () {
  "use strict";

  var panel = document.getElementById("provider-day");
  var provider = document.getElementById("id_provider");
  var date = document.getElementById("id_scheduled_date");
  var time = document.getElementById("id_scheduled_time");
  var status = document.getElementById("provider-day-status");
  if (!panel || !provider || !date || !time || !window.fetch) { return; }
  var content = document.getElementById("provider-day-content");
  var latest = 0;

  function duration() {
    var chosen = document.querySelector('input[name="duration"]:checked');
    return chosen ? chosen.value : "";
  }

  function load() {
    if (!provider.value) { panel.hidden = true; content.replaceChildren(); return; }
    var query = new URLSearchParams({ provider: provider.value, duration: duration() });
    if (date.value) { query.set("date", date.value); }
    // The patient the form was opened for, or the one on file with the typed document.
    var onFile = document.getElementById("patient-on-file");
    var patient = (onFile && onFile.dataset.patient) || panel.dataset.patient;
    if (patient) { query.set("patient", patient); }
    var ticket = ++latest;
    fetch(panel.dataset.url + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (ticket !== latest) { return; }
        content.innerHTML = html;  // our own server's fragment, escaped by its templates
        panel.hidden = !html;
      })
      .catch(function () { panel.hidden = true; });
  }

  // A free start fills the date and time, and makes the booking a scheduled one.
  panel.addEventListener("click", function (event) {
    var button = event.target.closest(".js-free-start");
    if (!button) { return; }
    var scheduled = document.querySelector('input[name="when"][value="scheduled"]');
    if (scheduled && !scheduled.checked) {
      scheduled.checked = true;
      scheduled.dispatchEvent(new Event("change", { bubbles: true }));
    }
    date.value = button.dataset.date;
    time.value = button.dataset.time;
    if (status) {
      status.textContent = (panel.dataset.filledLabel || "") + " " +
        button.dataset.date + " " + button.dataset.time;
    }
  });

  provider.addEventListener("change", load);
  document.addEventListener("desk:patient-on-file", load);
  date.addEventListener("change", load);
  document.querySelectorAll('input[name="duration"]').forEach(function (input) {
    input.addEventListener("change", load);
  });
  load();
})();
