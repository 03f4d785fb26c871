// Live status on the agenda and the consultations list: every few seconds, while the tab
// is visible, ask the server for the status of the consultations on screen and update
// the ones that changed (text, colour class, tooltip and accessible name), announcing
// the change once, politely. Progressive enhancement only: without JavaScript the page
// shows the status as it was rendered.
//
// The page marks:
//   [data-live-status-url][data-poll-seconds]  the container (the JSON endpoint, interval)
//   [data-consultation-id][data-status]        each item; with data-live-held, the agenda's
//                                              "held by Kairo" variant is shown too
//   [data-live-status-text]                    inside an item: the visible status text
//   [data-live-status-class]                   the item or an element in it: carries the
//                                              agenda-status-* colour class
//   #live-status-announcer                     an aria-live="polite" region
(function () {
  "use strict";

  var root = document.querySelector("[data-live-status-url]");
  if (!root || !window.fetch || !document.querySelectorAll) { return; }
  var seconds = parseInt(root.getAttribute("data-poll-seconds"), 10);
  if (!(seconds > 0)) { return; }
  var url = root.getAttribute("data-live-status-url");
  var announcer = document.getElementById("live-status-announcer");
  var MAX_IDS = 300; // what the endpoint accepts at once
  var timer = null;
  var stopped = false;
  var inFlight = false;

  function items() {
    return Array.prototype.slice.call(root.querySelectorAll("[data-consultation-id]"));
  }

  function key(item, entry) {
    var held = item.hasAttribute("data-live-held") && entry.held_by_kairo;
    return entry.status + (held ? ":held" : "");
  }

  function currentKey(item) {
    var held = item.getAttribute("data-live-held") === "1";
    return item.getAttribute("data-status") + (held ? ":held" : "");
  }

  function replaceLast(text, before, after) {
    if (!text || !before) { return text; }
    var at = text.lastIndexOf(before);
    if (at === -1) { return text; }
    return text.slice(0, at) + after + text.slice(at + before.length);
  }

  function classTargets(item) {
    var targets = Array.prototype.slice.call(item.querySelectorAll("[data-live-status-class]"));
    if (item.hasAttribute("data-live-status-class")) { targets.push(item); }
    return targets;
  }

  function update(item, entry) {
    var agenda = item.hasAttribute("data-live-held");
    var label = agenda ? entry.agenda_label : entry.label;
    var previous = item.getAttribute("data-status-label") || "";
    classTargets(item).forEach(function (element) {
      element.className = element.className
        .split(/\s+/)
        .filter(function (name) { return name && name.indexOf("agenda-status-") !== 0; })
        .concat([entry.css_class])
        .join(" ");
      if (agenda) { element.classList.toggle("agenda-held", !!entry.held_by_kairo); }
    });
    Array.prototype.forEach.call(item.querySelectorAll("[data-live-status-text]"), function (element) {
      element.textContent = label;
    });
    ["title", "aria-label"].forEach(function (name) {
      if (item.hasAttribute(name)) {
        item.setAttribute(name, replaceLast(item.getAttribute(name), previous, label));
      }
    });
    item.setAttribute("data-status", entry.status);
    if (agenda) { item.setAttribute("data-live-held", entry.held_by_kairo ? "1" : "0"); }
    item.setAttribute("data-status-label", label);
    return label;
  }

  function announce(changes) {
    if (!announcer || !changes.length) { return; }
    var text;
    if (changes.length === 1) {
      text = (announcer.getAttribute("data-one") || "%(number)s: %(status)s")
        .replace("%(number)s", changes[0].id)
        .replace("%(status)s", changes[0].label);
    } else {
      text = (announcer.getAttribute("data-many") || "%(count)s")
        .replace("%(count)s", String(changes.length));
    }
    announcer.textContent = text;
  }

  function apply(statuses) {
    var changes = [];
    items().forEach(function (item) {
      var id = item.getAttribute("data-consultation-id");
      var entry = statuses[id];
      if (!entry || key(item, entry) === currentKey(item)) { return; }
      changes.push({ id: id, label: update(item, entry) });
    });
    announce(changes);
  }

  function ask(ids) {
    return fetch(url + "?ids=" + ids.join(","), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (!response.ok || type.indexOf("application/json") === -1) {
        // Signed out (the login page) or refused: stop; the page stays as rendered.
        stopped = true;
        return null;
      }
      return response.json();
    });
  }

  function poll() {
    timer = null;
    if (stopped || inFlight || document.visibilityState === "hidden") { return; }
    var ids = [];
    items().forEach(function (item) {
      var id = item.getAttribute("data-consultation-id");
      if (ids.indexOf(id) === -1) { ids.push(id); }
    });
    if (!ids.length) { return; }
    inFlight = true;
    var batches = [];
    for (var start = 0; start < ids.length; start += MAX_IDS) {
      batches.push(ask(ids.slice(start, start + MAX_IDS)));
    }
    Promise.all(batches)
      .then(function (answers) {
        var statuses = {};
        answers.forEach(function (data) {
          if (data && data.statuses) {
            Object.keys(data.statuses).forEach(function (id) { statuses[id] = data.statuses[id]; });
          }
        });
        apply(statuses);
      })
      .catch(function () { /* the network blinked: try again next time */ })
      .then(function () { inFlight = false; schedule(); });
  }

  function schedule() {
    if (stopped || inFlight || timer !== null || document.visibilityState === "hidden") { return; }
    timer = setTimeout(poll, seconds * 1000);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      if (timer !== null) { clearTimeout(timer); timer = null; }
    } else if (timer === null) {
      poll(); // back on the tab: catch up at once, then keep the rhythm
    }
  });
  schedule();
})();
