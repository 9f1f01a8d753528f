// Touchpoint CRM: small behaviours that must not be inline scripts (the CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList && target.classList.contains("js-autosubmit") && target.form) {
      target.form.submit();
    }
    if (target.classList && target.classList.contains("js-select-all")) {
      var boxes = document.querySelectorAll("input[name='" + target.dataset.target + "']");
      boxes.forEach(function (box) { box.checked = target.checked; });
    }
  });
  // Close the search dropdown with Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var results = document.getElementById("search-results");
      if (results) { results.innerHTML = ""; }
    }
  });
  document.addEventListener("click", function (event) {
    var results = document.getElementById("search-results");
    if (results && !results.contains(event.target) && event.target.id !== "global-search") {
      results.innerHTML = "";
    }
  });
})();
// Forms that destroy something ask first: <form data-confirm="…">.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
