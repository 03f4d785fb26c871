// Result page: follow the "Emails" table until no delivery is queued or sending, so the
// receptionist sees "Sent" without reloading. Progressive enhancement only: without
// JavaScript the table shows the state as it was when the page was rendered.
(function () {
  "use strict";

  var section = document.getElementById("emails");
  var table = document.getElementById("deliveries");
  if (!section || !table || !window.fetch || !section.dataset.statusUrl) { return; }

  var PENDING = ["queued", "sending"];
  var BADGES = { sent: "text-bg-success", failed: "text-bg-danger", sending: "text-bg-info" };
  var INTERVAL_MS = 2000;
  var MAX_POLLS = 30; // one minute: after that, the page's own reload shows the rest
  var polls = 0;

  function pendingRows() {
    return Array.prototype.filter.call(table.querySelectorAll("tr[data-state]"), function (row) {
      return PENDING.indexOf(row.dataset.state) !== -1;
    }).length;
  }

  function update(row, delivery) {
    row.dataset.state = delivery.state;
    var badge = row.querySelector('[data-field="state"] .badge');
    if (badge) {
      badge.className = "badge " + (BADGES[delivery.state] || "text-bg-secondary");
      badge.textContent = delivery.state_label;
    }
    var attempts = row.querySelector('[data-field="attempts"]');
    if (attempts) { attempts.textContent = String(delivery.attempts); }
    var detail = row.querySelector('[data-field="detail-text"]');
    if (detail) { detail.textContent = delivery.detail; }
    var error = row.querySelector('[data-field="error"]');
    if (error) {
      error.textContent = delivery.error;
      error.hidden = !delivery.error;
    }
  }

  function poll() {
    polls += 1;
    fetch(section.dataset.statusUrl, {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; } // signed out or refused: stop, the page stays as rendered
        (data.deliveries || []).forEach(function (delivery) {
          var row = table.querySelector('tr[data-delivery="' + delivery.id + '"]');
          if (row) { update(row, delivery); }
        });
        if (data.pending && polls < MAX_POLLS) { setTimeout(poll, INTERVAL_MS); }
      })
      .catch(function () {
        if (polls < MAX_POLLS) { setTimeout(poll, INTERVAL_MS); }
      });
  }

  if (pendingRows() > 0) { setTimeout(poll, INTERVAL_MS); }
})();
