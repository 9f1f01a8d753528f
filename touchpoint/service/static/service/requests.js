// Maintenance centre pages. A static file because the CSP forbids inline scripts.
(function () {
  "use strict";

  // A refused action (400) or a stale one (409) answers with the workspace again, errors shown: swap it in.
  function answersWithForm(event) {
    var status = event.detail.xhr.status;
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    return (status === 400 || status === 409) && elt && elt.closest && elt.closest("[data-swap-errors]");
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (answersWithForm(event)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    if (answersWithForm(event)) {
      event.detail.isError = false;
    }
  });

  // Intake: keep the knowledge-base panel's query (subject + description) and product in step.
  function refreshSuggestions() {
    var panel = document.getElementById("kb-suggestions");
    var subject = document.getElementById("id_subject");
    var description = document.getElementById("id_description");
    var module = document.getElementById("id_installed_item");
    if (!panel) { return; }
    var q = document.getElementById("kb-q");
    var product = document.getElementById("kb-product");
    q.value = ((subject && subject.value) || "") + " " + ((description && description.value) || "");
    var chosen = module && module.options[module.selectedIndex];
    product.value = (chosen && chosen.dataset.product) || "";
    if (window.htmx) { window.htmx.trigger(panel, "kb-refresh"); }
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "id_subject" || event.target.id === "id_description") { refreshSuggestions(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.id === "id_installed_item") { refreshSuggestions(); }
  });
})();
