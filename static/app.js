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

  // Forms that destroy something ask first, in a native <dialog> (#confirm-dialog in the
  // layout). `data-confirm` holds the question; `data-confirm-typed` a value that must be
  // typed (a server's hostname). The answer goes into the form's `confirm` field, which the
  // server checks again; without script the server answers 422 with a page that asks.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-confirm]");
    if (!form) return;
    if (form.getAttribute("data-confirmed") === "1") {
      form.removeAttribute("data-confirmed");
      return;
    }
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      else if (form.elements.confirm && !form.getAttribute("data-confirm-typed")) form.elements.confirm.value = "yes";
      return;
    }
    // Stopped before htmx or the browser sees it; sent again once answered.
    event.preventDefault();
    event.stopPropagation();
    askFor(form, event.submitter || null, dialog);
  }, true);

  function askFor(form, submitter, dialog) {
    var expected = form.getAttribute("data-confirm-typed") || "";
    var title = dialog.querySelector("[data-confirm-title]");
    var message = dialog.querySelector("[data-confirm-message]");
    var typedRow = dialog.querySelector("[data-confirm-typed-row]");
    var typed = dialog.querySelector("[data-confirm-input]");
    var shown = dialog.querySelector("[data-confirm-expected]");
    var ok = dialog.querySelector("[data-confirm-ok]");
    title.textContent = form.getAttribute("data-confirm-title") || "Are you sure?";
    message.textContent = form.getAttribute("data-confirm");
    ok.textContent = form.getAttribute("data-confirm-button") || "Confirm";
    typedRow.hidden = !expected;
    typed.value = "";
    shown.textContent = expected;
    var matches = function () {
      return !expected || typed.value.trim().toLowerCase() === expected.toLowerCase();
    };
    ok.disabled = !matches();
    typed.oninput = function () { ok.disabled = !matches(); };
    dialog.returnValue = "";
    dialog.onclose = function () {
      dialog.onclose = null;
      if (dialog.returnValue !== "ok" || !matches()) return;
      if (form.elements.confirm) form.elements.confirm.value = expected ? typed.value.trim() : "yes";
      form.setAttribute("data-confirmed", "1");
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      } else {
        form.submit();
      }
    };
    dialog.showModal();
    (expected ? typed : dialog.querySelector("[data-confirm-cancel]")).focus();
  }

  // Assign Servers: the Assign and Unassign buttons wait until a server is ticked, and
  // "select all on this page" ticks every row (without script both are unnecessary: the
  // server says "Tick at least one server first").
  function refreshAssign(form) {
    var boxes = form.querySelectorAll("input[name=server_id]");
    var ticked = 0;
    boxes.forEach(function (b) { if (b.checked) ticked++; });
    form.querySelectorAll("[data-needs-selection]").forEach(function (b) { b.disabled = ticked === 0; });
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    var count = form.querySelector("[data-selection-count]");
    if (count) count.textContent = ticked === 0 ? "Tick servers to assign or unassign them." : ticked + " selected";
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-assign-form]");
    if (!form) return;
    if (event.target.matches("[data-select-all]")) {
      form.querySelectorAll("input[name=server_id]").forEach(function (b) { b.checked = event.target.checked; });
    }
    refreshAssign(form);
  });
  function initAssign(root) {
    (root || document).querySelectorAll("form[data-assign-form]").forEach(function (form) {
      form.querySelectorAll("[data-select-all-row]").forEach(function (r) { r.hidden = false; });
      refreshAssign(form);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { initAssign(document); });
  document.addEventListener("htmx:afterSettle", function (event) { initAssign(event.target); });

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
      form.querySelectorAll("[data-risk-for], [data-risk-confirm-for]").forEach(function (item) {
        var key = item.getAttribute("data-risk-for") || item.getAttribute("data-risk-confirm-for");
        if (key === box.value) item.hidden = !box.checked;
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
      // A newly ticked risk is confirmed on its own, next to it.
      var row = box.closest(".perm");
      var confirm = row && row.querySelector("[data-risk-confirm]");
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

// ---------------------------------------------------------------------------------------
// Phone layout: tables become stacked cards below 640 px (app.css); each cell gets its
// column's name as data-label so a card still says what each value is.
(function () {
  "use strict";
  function label(root) {
    (root || document).querySelectorAll("table.table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (td.tagName === "TD" && heads[i] && !td.hasAttribute("data-label") && !td.classList.contains("empty")) {
            td.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    label(document);
    // The current tab in view when the tab bar scrolls sideways on a narrow screen.
    var active = document.querySelector(".tabs a.active");
    if (active && active.parentElement.scrollWidth > active.parentElement.clientWidth) {
      active.parentElement.scrollLeft = active.offsetLeft - 16;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) { label(event.target); });
})();
