// The join page's countdown: enables the Join button when it opens. The server sends
// the seconds left (not a moment), so a wrong clock on the phone does not matter; the
// server checks the time again when Join is pressed. Without JavaScript the page says
// when it opens and offers a reload.
(function () {
  "use strict";
  var button = document.getElementById("join-button");
  var countdown = document.getElementById("join-countdown");
  var value = document.getElementById("join-countdown-value");
  var opened = document.getElementById("join-opened");
  if (!button || !countdown || !value) {
    return;
  }
  var seconds = parseInt(button.getAttribute("data-seconds-until-open"), 10);
  if (isNaN(seconds) || seconds < 0) {
    return;
  }
  var opensAt = Date.now() + seconds * 1000;
  var timer = null;

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function tick() {
    var left = Math.max(0, Math.ceil((opensAt - Date.now()) / 1000));
    var hours = Math.floor(left / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var rest = left % 60;
    value.textContent = (hours ? hours + ":" + pad(minutes) : String(minutes)) + ":" + pad(rest);
    if (left === 0) {
      button.disabled = false;
      countdown.hidden = true;
      if (opened) {
        opened.textContent = opened.getAttribute("data-opened-text");
      }
      if (timer !== null) {
        window.clearInterval(timer);
      }
    }
  }

  countdown.hidden = false;
  tick();
  if (!button.disabled) {
    return;
  }
  timer = window.setInterval(tick, 1000);
})();
