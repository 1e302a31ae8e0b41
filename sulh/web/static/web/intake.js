// The intake form: family and item rows added and removed on demand, each error marked on
// its field, the language switched without losing what was typed, the look-alike hint, the
// pledge in the chosen language and read aloud. The form works without this script (three
// rows of each are always there).
(function () {
  "use strict";
  const form = document.getElementById("intake");
  if (!form) return;
  const MAX_ROWS = 30;

  // --- Rows ------------------------------------------------------------------------
  function rowsOf(kind) {
    return Array.prototype.slice.call(form.querySelectorAll('[data-row="' + kind + '"]'));
  }

  function renumber(row, index) {
    row.querySelectorAll("[id], [name], [for]").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/^(family|item)-\d+-/, "$1-" + index + "-"));
      });
    });
  }

  function clear(row) {
    row.querySelectorAll("input, select").forEach(function (el) {
      if (el.type === "checkbox") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else el.value = el.name.endsWith("quantity") ? "1" : "";
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
  }

  function showRemoveButtons() {
    form.querySelectorAll("[data-remove]").forEach(function (button) { button.hidden = false; });
  }

  function addRow(kind) {
    const rows = rowsOf(kind);
    if (rows.length >= MAX_ROWS) return;
    const last = rows[rows.length - 1];
    const copy = last.cloneNode(true);
    renumber(copy, rows.length);
    clear(copy);
    last.after(copy);
    bindRow(copy);
    const first = copy.querySelector("select, input");
    if (first) first.focus();
  }

  function removeRow(row) {
    const kind = row.dataset.row;
    const rows = rowsOf(kind);
    const at = rows.indexOf(row);
    if (rows.length === 1) {
      clear(row);  // the last row is emptied, not removed: there is always one to fill
      return;
    }
    row.remove();
    rowsOf(kind).forEach(renumber);
    const next = rowsOf(kind)[Math.min(at, rows.length - 2)];
    const focus = next && next.querySelector("select, input");
    if (focus) focus.focus();
  }

  function bindRow(row) {
    const button = row.querySelector("[data-remove]");
    if (button) button.addEventListener("click", function () { removeRow(row); });
  }

  form.querySelectorAll("[data-row]").forEach(bindRow);
  form.querySelectorAll("[data-add]").forEach(function (button) {
    button.addEventListener("click", function () { addRow(button.dataset.add); });
  });
  showRemoveButtons();

  // --- Errors: each one on its field, the first field focused --------------------------
  let firstInvalid = null;
  form.querySelectorAll(".field-error").forEach(function (message) {
    const field = document.getElementById(message.id.replace(/-error$/, ""));
    if (!field) return;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", message.id);
    if (!firstInvalid) firstInvalid = field;
  });
  if (firstInvalid) firstInvalid.focus();

  // The header's language button posts the form as typed by itself (its form attribute):
  // the server shows it again in the other language, saving nothing.

  // --- The look-alike hint -----------------------------------------------------------
  // As soon as a name and a birth date (or only a year) are in: how many people registered
  // at this station look alike (a count only; the full screening runs when the intake is
  // saved, and its candidates go to a vetting officer). The hint is worded for the clerk
  // and kept small: the screen may face the person. Each check counts against the clerk's
  // budget, so one is sent when the clerk pauses or leaves a field, and only for values not
  // asked about already.
  const note = document.getElementById("candidates");
  const watched = ["given_name_ar", "family_name_ar", "given_name_lat", "family_name_lat",
    "birth_date", "national_id"];
  let lastAsked = null;
  let timer = null;

  function showCount(duplicates) {
    note.dataset.duplicates = duplicates;
    note.textContent = "";
    if (!duplicates) {
      note.textContent = note.dataset.none;
      return;
    }
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = note.dataset.found.replace("{d}", duplicates);
    const advice = document.createElement("span");
    advice.textContent = " " + note.dataset.advice;
    details.append(summary, advice);
    note.append(details);
  }

  let sequence = 0;  // only the answer to the latest question is shown
  let waiting = false;
  function settled() { note.removeAttribute("aria-busy"); }

  function check() {
    const data = new FormData(form);
    const named = (data.get("given_name_ar") || data.get("given_name_lat")) &&
      (data.get("family_name_ar") || data.get("family_name_lat"));
    const asked = watched.map(function (id) { return data.get(id) || ""; }).join("\u0000");
    if (!named || !(data.get("birth_date") || data.get("national_id")) || asked === lastAsked) {
      if (!waiting) settled();
      return;
    }
    lastAsked = asked;
    const question = ++sequence;
    waiting = true;
    note.setAttribute("aria-busy", "true");
    fetch(note.dataset.url, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (question !== sequence) return;
        waiting = false;
        settled();
        if (counts) showCount(counts.duplicates);
      })
      .catch(function () {
        // offline: the check runs again when the intake is saved
        if (question === sequence) { waiting = false; settled(); }
      });
  }
  if (note) {
    watched.forEach(function (id) {
      const field = document.getElementById(id);
      if (!field) return;
      field.addEventListener("input", function () {
        clearTimeout(timer);
        note.setAttribute("aria-busy", "true");
        timer = setTimeout(check, 700);
      });
      field.addEventListener("change", function () { clearTimeout(timer); check(); });
    });
  }

  // --- The pledge, in the language the person reads, and read aloud --------------------
  const language = document.getElementById("pledge_language");
  const reader = document.getElementById("read-pledge");
  const readStatus = document.getElementById("read-pledge-status");
  const speech = window.speechSynthesis;

  function stopReading() {
    if (speech && speech.speaking) speech.cancel();
    if (reader) reader.textContent = reader.dataset.read;
  }

  function showPledge() {
    stopReading();
    if (readStatus) readStatus.textContent = "";
    form.querySelectorAll("[data-pledge]").forEach(function (block) {
      block.hidden = block.dataset.pledge !== language.value;
    });
  }
  if (language) {
    language.addEventListener("change", showPledge);
    showPledge();
  }

  function voiceFor(lang) {
    const voices = speech.getVoices ? speech.getVoices() : [];
    return voices.find(function (voice) {
      return (voice.lang || "").toLowerCase().split(/[-_]/)[0] === lang;
    }) || null;
  }

  function readAloud() {
    if (speech.speaking) { stopReading(); return; }
    const lang = language ? language.value : "ar";
    const block = form.querySelector('[data-pledge="' + lang + '"]');
    const voice = voiceFor(lang);
    if (!block || !voice) {
      readStatus.textContent = reader.dataset.noVoice;
      return;
    }
    readStatus.textContent = "";
    const utterance = new SpeechSynthesisUtterance(block.textContent.trim());
    utterance.lang = voice.lang;
    utterance.voice = voice;
    utterance.rate = 0.9;
    utterance.onend = function () { reader.textContent = reader.dataset.read; };
    utterance.onerror = function () {
      reader.textContent = reader.dataset.read;
      readStatus.textContent = reader.dataset.noVoice;
    };
    reader.textContent = reader.dataset.stop;
    speech.speak(utterance);
  }

  if (reader && speech && typeof SpeechSynthesisUtterance === "function") {
    reader.parentElement.hidden = false;
    if (speech.getVoices) speech.getVoices();  // some browsers load the voices on first ask
    reader.addEventListener("click", readAloud);
  }

  // --- A draft on the device, sealed, and a submission that survives a lost network ----
  // The form as typed is kept in IndexedDB, encrypted with AES-GCM under a key that the
  // browser generated as non-extractable (the page can use it, nobody can read it out);
  // nothing is ever written in plaintext, nor in localStorage. A submission goes by fetch:
  // without a network the page says so and sends it again, with the same idempotency key
  // (so it registers once), when the network returns. The draft is deleted once the
  // receipt arrives, and restored into a fresh form if the page is reloaded before.
  const DRAFTS = "sulh-intake";
  const sealing = window.indexedDB && window.crypto && window.crypto.subtle;

  function store(mode, act) {
    return new Promise(function (resolve, reject) {
      const opening = indexedDB.open(DRAFTS, 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("sealed"); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        const db = opening.result;
        const tx = db.transaction("sealed", mode);
        const request = act(tx.objectStore("sealed"));
        tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      };
    });
  }

  function deviceKey() {
    return store("readonly", function (s) { return s.get("key"); }).then(function (key) {
      if (key) return key;
      return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false,
        ["encrypt", "decrypt"]).then(function (made) {
        return store("readwrite", function (s) { return s.put(made, "key"); })
          .then(function () { return made; });
      });
    });
  }

  function entries() {
    const kept = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") kept.push([name, value]);
    });
    return { user: form.dataset.user, fields: kept };
  }

  function saveDraft() {
    if (!sealing) return Promise.resolve();
    const plain = new TextEncoder().encode(JSON.stringify(entries()));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    return deviceKey()
      .then(function (key) { return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, key, plain); })
      .then(function (sealed) {
        return store("readwrite", function (s) { return s.put({ iv: iv, sealed: sealed }, "draft"); });
      })
      .then(function () { form.dataset.draft = "saved"; })
      .catch(function () { /* no storage here: the form still works */ });
  }

  function deleteDraft() {
    if (!sealing) return Promise.resolve();
    return store("readwrite", function (s) { return s.delete("draft"); })
      .catch(function () { /* nothing kept */ });
  }

  function readDraft() {
    return store("readonly", function (s) { return s.get("draft"); }).then(function (draft) {
      if (!draft) return null;
      return deviceKey()
        .then(function (key) {
          return crypto.subtle.decrypt({ name: "AES-GCM", iv: draft.iv }, key, draft.sealed);
        })
        .then(function (plain) { return JSON.parse(new TextDecoder().decode(plain)); });
    });
  }

  function restore(draft) {
    const values = {};
    draft.fields.forEach(function (pair) { values[pair[0]] = pair[1]; });
    ["family", "item"].forEach(function (kind) {
      let highest = -1;
      Object.keys(values).forEach(function (name) {
        const found = name.match(new RegExp("^" + kind + "-(\\d+)-"));
        if (found) highest = Math.max(highest, Number(found[1]));
      });
      while (rowsOf(kind).length <= highest && rowsOf(kind).length < MAX_ROWS) addRow(kind);
    });
    form.querySelectorAll("input, select").forEach(function (field) {
      if (!field.name || field.name === "csrfmiddlewaretoken") return;
      if (field.type === "checkbox") field.checked = values[field.name] === "on";
      else if (field.name in values) field.value = values[field.name];
    });
    showPledge();
    document.getElementById("draft-restored").hidden = false;
  }

  let saveTimer = null;
  form.addEventListener("input", function () {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, 400);
  });
  form.addEventListener("change", function () { clearTimeout(saveTimer); saveDraft(); });

  if (sealing && form.dataset.fresh) {
    readDraft()
      .then(function (draft) {
        if (draft && draft.user === form.dataset.user) restore(draft);
        form.dataset.restored = draft ? "yes" : "no";
      })
      .catch(function () { form.dataset.restored = "no"; });
  }

  const offline = document.getElementById("offline");
  let retry = null;

  function send() {
    clearTimeout(retry);
    fetch(form.getAttribute("action") || window.location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Sulh-Form": "fetch" },  // the server answers a saved intake with JSON
    })
      .then(function (response) {
        offline.hidden = true;
        const type = response.headers.get("Content-Type") || "";
        if (response.ok && type.indexOf("application/json") === 0) {
          // saved: the draft goes, then to the receipt
          return response.json().then(function (saved) {
            return deleteDraft().then(function () { window.location.assign(saved.receipt); });
          });
        }
        // the form again, with its errors (or any other answer): shown as the server sent
        // it, the draft kept until a receipt arrives
        return response.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
        });
      })
      .catch(function () {
        offline.hidden = false;
        offline.scrollIntoView({ block: "center" });
        retry = setTimeout(send, 15000);  // also when the browser misses "online"
      });
  }

  window.addEventListener("online", function () {
    if (offline && !offline.hidden && document.contains(offline)) {
      clearTimeout(retry);
      send();
    }
  });

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.name === "language") return;  // a plain post
    if (!window.fetch) return;
    event.preventDefault();
    clearTimeout(saveTimer);
    saveDraft().then(send);
  });
})();
