// Steward's small progressive enhancements. Every page works without this file:
// dialogs fall back to plain pages, and the server checks everything again.
(function () {
  "use strict";

  // "+" buttons open a native <dialog> instead of following their no-script link.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        if (!dialog.open) dialog.showModal();
        var first = dialog.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var parent = closer.closest("dialog");
      if (parent && parent.open) {
        event.preventDefault();
        parent.close();
      }
    }
  });

  // A dialog the server rendered open (after a 422) becomes modal once script runs.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("dialog[open]").forEach(function (d) {
      if (typeof d.showModal === "function") {
        d.close();
        d.showModal();
      }
    });
  });

  // Close the "Hi" menu when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.usermenu[open], details.row-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // Forms that destroy something ask first (data-confirm); the server needs no answer.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);

  // A dialog whose work changed the page behind it (Assign Servers) reloads that page
  // when it closes, so counts are never stale.
  document.addEventListener("close", function (event) {
    if (event.target.matches && event.target.matches("dialog[data-reload-on-close]")) {
      window.location.reload();
    }
  }, true);
})();

// ---------------------------------------------------------------------------------------
// Role editor: live risk warnings. Ticking a risky permission highlights its warning and
// lists it in the summary with the confirmation box; ticking a new one clears an earlier
// confirmation. Without script the server shows the same summary when saving (422).
(function () {
  "use strict";

  function refresh(form) {
    var anyChecked = false;
    form.querySelectorAll("input[type=checkbox][data-risk]").forEach(function (box) {
      var row = box.closest(".perm");
      if (row) row.classList.toggle("is-on", box.checked);
      form.querySelectorAll("[data-risk-for]").forEach(function (item) {
        if (item.getAttribute("data-risk-for") === box.value) item.hidden = !box.checked;
      });
      if (box.checked) anyChecked = true;
    });
    var summary = form.querySelector("[data-risk-summary]");
    if (summary) summary.hidden = !anyChecked;
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox][data-risk]")) return;
    var form = box.closest("form[data-role-editor]");
    if (!form) return;
    if (box.checked) {
      var confirm = form.querySelector("[data-risk-confirm]");
      if (confirm) confirm.checked = false;
    }
    refresh(form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-role-editor]").forEach(refresh);
  });
})();

// ---------------------------------------------------------------------------------------
// API keys: the "Copy" button beside a newly created key copies it and selects it (without
// script, or without clipboard access, the field is selectable by hand).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
      }, function () {});
    }
  });
})();
