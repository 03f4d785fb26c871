// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // The language switcher submits on change; its button is for no-JS browsers.
  var form = document.getElementById("language-form");
  if (form) {
    var button = form.querySelector(".js-hide");
    if (button) { button.hidden = true; }
    form.querySelector("select").addEventListener("change", function () { form.submit(); });
  }
})();
