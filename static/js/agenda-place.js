// Agenda geometry: each block, hour mark and band is placed from its data-place-*
// attributes (top, height, left, width, as the server computed them). The
// Content-Security-Policy forbids style attributes, not styles set from a script. Runs
// before the page is shown (the script is at the end of the body, not deferred).
(function () {
  "use strict";
  var PROPERTIES = ["top", "height", "left", "width"];
  var VALUE = /^-?\d+(\.\d+)?(rem|%)$/;
  var selector = PROPERTIES.map(function (name) { return "[data-place-" + name + "]"; }).join(",");
  document.querySelectorAll(selector).forEach(function (node) {
    PROPERTIES.forEach(function (name) {
      var value = node.getAttribute("data-place-" + name);
      if (value && VALUE.test(value)) { node.style.setProperty(name, value); }
    });
  });
})();
