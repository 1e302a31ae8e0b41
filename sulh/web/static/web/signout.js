// Signing out leaves nothing of a registration on the device (a shared device's next user
// must not see or resend it): a sealed draft the intake page kept when the network was lost
// (intake.js) is first shown to the clerk, to send or discard; then the drafts' database,
// its non-extractable key with it, is deleted before the session ends.
(function () {
  "use strict";
  const form = document.getElementById("logout");
  const warning = document.getElementById("signout-drafts");
  const DRAFTS = "sulh-intake";
  if (!form || !warning || !window.indexedDB) return;

  function unsent() {
    return new Promise(function (resolve) {
      const opening = indexedDB.open(DRAFTS, 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("sealed"); };
      opening.onerror = function () { resolve(false); };
      opening.onsuccess = function () {
        const db = opening.result;
        const asked = db.transaction("sealed", "readonly").objectStore("sealed").count("draft");
        asked.onsuccess = function () { db.close(); resolve(asked.result > 0); };
        asked.onerror = function () { db.close(); resolve(false); };
      };
    });
  }

  function forget() {
    return new Promise(function (resolve) {
      const deleting = indexedDB.deleteDatabase(DRAFTS);
      deleting.onsuccess = deleting.onerror = function () { resolve(); };
      // another tab holds it open: it goes once that tab lets go (its script closes it
      // after each step); the sign-out does not wait for it
      deleting.onblocked = function () { resolve(); };
    });
  }

  function signOut() {
    forget().then(function () { form.submit(); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    unsent().then(function (found) {
      if (!found) return signOut();
      warning.hidden = false;
      warning.scrollIntoView({ block: "center" });
      warning.focus();
    });
  });
  document.getElementById("signout-discard").addEventListener("click", signOut);
})();
