// Opportunity pages: drag and drop on the kanban board, and showing htmx form errors (400) in place.
// A static file because the CSP forbids inline scripts.
(function () {
  "use strict";

  // Fragments that answer a refused form with a 400 and the form again: swap them in anyway.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 && event.detail.requestConfig && event.detail.requestConfig.elt &&
        event.detail.requestConfig.elt.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // These 400s are answers (a form with its errors, a refused move), not failures: keep django-htmx's
  // DEBUG-only error page from replacing the document with them.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && (target.id === "board" || target.closest("[data-swap-errors]"))) {
      event.stopPropagation();
    }
  }, true);

  var board = function () { return document.getElementById("board"); };
  var dragged = null;
  var pending = null; // the move waiting for a lost reason

  function showMessage(html) {
    var box = document.getElementById("board-messages");
    if (box) { box.innerHTML = html; }
  }

  function move(card, column, extra) {
    var values = {
      stage: column.dataset.stage,
      version: card.dataset.version,
      board_query: board().dataset.boardQuery || ""
    };
    Object.keys(extra || {}).forEach(function (key) { values[key] = extra[key]; });
    card.classList.add("board-card-moving");
    showMessage("");
    htmx.ajax("POST", card.dataset.moveUrl, {
      target: "#board", swap: "outerHTML", values: values, source: card
    }).then(function () { card.classList.remove("board-card-moving"); });
  }

  // A refused move: the card stays in its column and the service's message shows above the board.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "board") { return; }
    if (event.detail.xhr.status >= 400) {
      // Handled here: not an error page to show (django-htmx replaces the page with it in DEBUG).
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      document.querySelectorAll(".board-card-moving").forEach(function (c) { c.classList.remove("board-card-moving"); });
      if (event.detail.xhr.status === 400) {
        showMessage(event.detail.xhr.responseText);  // the server's escaped alert fragment
      } else {
        var box = document.getElementById("board-messages");
        var alert = document.createElement("div");
        alert.className = "alert alert-danger";
        alert.setAttribute("role", "alert");
        alert.textContent = box.dataset.failed;
        box.replaceChildren(alert);
      }
    }
  });

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card) { return; }
    dragged = card;
    card.classList.add("board-card-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
  });

  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("board-card-dragging"); }
    document.querySelectorAll(".board-column-over").forEach(function (c) { c.classList.remove("board-column-over"); });
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-column-over").forEach(function (c) {
      if (c !== column) { c.classList.remove("board-column-over"); }
    });
    column.classList.add("board-column-over");
  });

  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (!column || !dragged) { return; }
    event.preventDefault();
    column.classList.remove("board-column-over");
    var card = dragged;
    if (card.closest(".board-column") === column) { return; }
    if (column.dataset.outcome === "lost") {
      pending = { card: card, column: column };
      var form = document.getElementById("lost-form");
      form.reset();
      bootstrap.Modal.getOrCreateInstance(document.getElementById("lost-modal")).show();
      return;
    }
    move(card, column);
  });

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "lost-form") { return; }
    event.preventDefault();
    var form = event.target;
    bootstrap.Modal.getOrCreateInstance(document.getElementById("lost-modal")).hide();
    if (pending) {
      move(pending.card, pending.column, {
        lost_reason: form.elements.lost_reason.value,
        lost_detail: form.elements.lost_detail.value
      });
      pending = null;
    }
  });
})();
