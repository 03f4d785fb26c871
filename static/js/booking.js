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

  // Focus: a refused form's error summary keeps it (error_summary.js); a patient just
  // chosen from the search (?patient=, or a rebooking) sends it to the first field still
  // empty, usually the provider; otherwise the page opens on the patient search.
  var bookingForm = document.getElementById("booking-form");
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
