// The intake form: more family and item rows on demand, the pledge in the chosen
// language. The form works without this script (three rows of each are always there).
(function () {
  "use strict";
  const form = document.getElementById("intake");
  if (!form) return;

  function addRow(kind) {
    const rows = form.querySelectorAll('[data-row="' + kind + '"]');
    const last = rows[rows.length - 1];
    const index = rows.length;
    if (index >= 30) return;
    const copy = last.cloneNode(true);
    copy.querySelectorAll("[id], [name], [for]").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/-\d+-/, "-" + index + "-"));
      });
      if (el.tagName === "INPUT") el.value = el.name.endsWith("quantity") ? "1" : "";
    });
    last.after(copy);
    const first = copy.querySelector("select, input");
    if (first) first.focus();
  }

  form.querySelectorAll("[data-add]").forEach(function (button) {
    button.addEventListener("click", function () { addRow(button.dataset.add); });
  });

  const language = document.getElementById("pledge_language");
  function showPledge() {
    form.querySelectorAll("[data-pledge]").forEach(function (block) {
      block.hidden = block.dataset.pledge !== language.value;
    });
  }
  if (language) {
    language.addEventListener("change", showPledge);
    showPledge();
  }
})();
