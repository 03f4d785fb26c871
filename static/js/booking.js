// Booking pages: progressive enhancement only. Without JavaScript the schedule fields
// stay visible, the patient search is a plain GET form, and the PIN and links can be
// selected and copied by hand.
(function () {
  "use strict";

  // "Now" hides the date and time (they are ignored for an immediate consultation).
  var schedule = document.getElementById("schedule-fields");
  var whenInputs = document.querySelectorAll('input[name="when"]');
  function showSchedule() {
    var chosen = document.querySelector('input[name="when"]:checked');
    if (schedule) { schedule.hidden = chosen && chosen.value === "now"; }
  }
  whenInputs.forEach(function (input) { input.addEventListener("change", showSchedule); });
  showSchedule();

  // Type-ahead over the plain search: the same results, fetched as you type.
  var search = document.getElementById("patient-search");
  var results = document.getElementById("patient-search-results");
  if (search && results && window.fetch) {
    var timer = null;
    var latest = 0;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      var query = search.value.trim();
      timer = setTimeout(function () {
        if (query.length < 3 && !/\d/.test(query)) { results.replaceChildren(); return; }
        var ticket = ++latest;
        fetch(search.dataset.searchUrl + "?q=" + encodeURIComponent(query), {
          headers: { "Accept": "application/json" },
          credentials: "same-origin"
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { if (ticket === latest) { render(data.results || []); } })
          .catch(function () { /* the Search button still works */ });
      }, 250);
    });
    function render(items) {
      var list = document.createElement("ul");
      list.className = "list-group mt-3";
      list.id = "patient-results";
      items.forEach(function (item) {
        var row = document.createElement("li");
        row.className = "list-group-item d-flex justify-content-between align-items-center";
        var label = document.createElement("span");
        var name = document.createElement("strong");
        name.textContent = item.name;
        var doc = document.createElement("span");
        doc.className = "text-secondary";
        doc.textContent = " " + item.document;
        label.append(name, doc);
        var link = document.createElement("a");
        link.className = "btn btn-sm btn-outline-primary";
        link.href = item.url;
        link.textContent = results.dataset.useLabel || "Use this patient";
        row.append(label, link);
        list.append(row);
      });
      results.replaceChildren(items.length ? list : "");
    }
  }

  // --- Patient on file -------------------------------------------------------------
  // When the typed document belongs to a registered patient, the server renders that
  // record beside what is typed, what sending would update, and the name-change box
  // (partials/patient_on_file.html). Without JavaScript it appears after sending.
  var bookingForm = document.getElementById("booking-form");
  if (bookingForm && document.getElementById("patient-on-file") && window.fetch && window.FormData) {
    var patientFields = ["document_type", "document_number", "name", "phone", "email", "preferred_language"];
    var onFileTimer = null;
    var onFileLatest = 0;
    var refreshOnFile = function () {
      var block = document.getElementById("patient-on-file");
      var box = document.getElementById("id_name_change_confirmed");
      var data = new FormData();
      var token = bookingForm.querySelector("input[name=csrfmiddlewaretoken]");
      data.append("csrfmiddlewaretoken", token ? token.value : "");
      patientFields.forEach(function (name) {
        var field = bookingForm.elements[name];
        if (field) { data.append(name, field.value); }
      });
      if (box && box.checked) { data.append("name_change_confirmed", "on"); }
      var ticket = ++onFileLatest;
      fetch(block.dataset.url, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null || ticket !== onFileLatest) { return; }
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("#patient-on-file");
          var current = document.getElementById("patient-on-file");
          if (fresh && current) {
            current.replaceWith(fresh);
            // The provider's day checks the patient's own bookings too (provider_day.js).
            document.dispatchEvent(new CustomEvent("desk:patient-on-file", {
              detail: { patient: fresh.dataset.patient || "" }
            }));
          }
        })
        .catch(function () { /* the server checks again on sending */ });
    };
    var onPatientInput = function (event) {
      if (patientFields.indexOf(event.target.name) < 0) { return; }
      // A tick confirms one new name: typing another one asks again.
      var box = document.getElementById("id_name_change_confirmed");
      if (event.target.name === "name" && box) { box.checked = false; }
      clearTimeout(onFileTimer);
      onFileTimer = setTimeout(refreshOnFile, 300);
    };
    bookingForm.addEventListener("input", onPatientInput);
    bookingForm.addEventListener("change", onPatientInput);
  }

  // Focus: a refused form's error summary keeps it (error_summary.js); a patient just
  // chosen from the search (?patient=, or a rebooking) sends it to the first field still
  // empty, usually the provider; otherwise the page opens on the patient search.
  if (bookingForm && !document.getElementById("error-summary")) {
    var params = new URLSearchParams(window.location.search);
    var next = null;
    if (params.has("patient") || params.has("rebook")) {
      next = Array.prototype.find.call(
        bookingForm.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea"),
        function (field) { return !field.disabled && !field.value && field.offsetParent !== null; });
    }
    (next || search || { focus: function () {} }).focus();
  }

  // Copy buttons: shown only where the clipboard API is available.
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll(".js-copy").forEach(function (button) {
      button.hidden = false;
      var original = button.textContent;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.dataset.copyTarget);
        if (!target) { return; }
        navigator.clipboard.writeText(target.value).then(function () {
          button.textContent = button.dataset.copiedLabel || "✓";
          setTimeout(function () { button.textContent = original; }, 1500);
        }, function () { target.select(); });
      });
    });
  }
})();
