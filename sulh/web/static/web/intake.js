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

  // As soon as a name and a birth date are in: how many people registered at this
  // station look alike (a count only; the full screening runs when the intake is saved,
  // and its candidates go to a vetting officer). Each check counts against the clerk's
  // budget, so one is sent when the clerk pauses or leaves a field, and only for values not
  // asked about already.
  const note = document.getElementById("candidates");
  const watched = ["given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat",
    "birth_date", "national_id"];
  let lastAsked = null;
  let timer = null;
  function check() {
    const data = new FormData(form);
    const named = (data.get("given_name_ar") || data.get("given_name_lat")) &&
      (data.get("family_name_ar") || data.get("family_name_lat"));
    if (!note || !named || !(data.get("birth_date") || data.get("national_id"))) return;
    const asked = watched.map(function (id) { return data.get(id) || ""; }).join("\u0000");
    if (asked === lastAsked) return;
    lastAsked = asked;
    fetch(note.dataset.url, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) return;
        note.dataset.duplicates = counts.duplicates;
        note.textContent = counts.duplicates
          ? note.dataset.found.replace("{d}", counts.duplicates)
          : note.dataset.none;
      })
      .catch(function () { /* offline: the check runs again when the intake is saved */ });
  }
  watched.forEach(function (id) {
    const field = document.getElementById(id);
    if (!field) return;
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 700);
    });
    field.addEventListener("change", function () { clearTimeout(timer); check(); });
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
