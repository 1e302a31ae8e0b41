// The offline vehicle door (sulh/web/door_views.py): boarding with no network.
//
// With a network the page fetches this vehicle's door pack (the least the door needs:
// keys, order keys, relation, sex, birth year, child, status, kinds carried, card ids)
// and the signed trust and status lists, and keeps them in localStorage. A scan is
// then checked on this phone alone: the card's signature and status by verify.js, the
// holder found by card id in the pack, or a family member by key; what they carry is
// checked against the program's allowance; the boarding (or a no-show) goes into a
// queue kept in localStorage, each event with its own device_event_id. The queue is
// sent to the API one event after the other whenever the site answers; the server
// counts a retried event once (same device_event_id), so a send cut half-way is simply
// sent again. Everything shown is set with textContent, never as HTML.

import {
  Verdict,
  cameraOff,
  keepOffline,
  loadStatusList,
  loadTrustList,
  readStore as read,
  scanVideo,
  showVideo,
  unb64u,
  verifyCard,
  writeStore as write,
} from "./verify.js";

const PREFIX = "SULH1:";
const SEND_TIMEOUT_MS = 5000; // a request the network swallowed is given up and retried
const RETRY_MS = 1500;
const REFRESH_MS = 5 * 60 * 1000;
const LISTS = "sulh.door.lists";

// Arabic-Indic and Eastern Arabic-Indic digits read as Western ones.
export function westernDigits(text) {
  return String(text).replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) =>
    String((d.charCodeAt(0) & 0xf) % 10),
  );
}

function eventId() {
  if (crypto.randomUUID) return crypto.randomUUID().replaceAll("-", "");
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, "0"),
  ).join("");
}

// What a traveller declares at the door, against the program's allowance (as
// sulh/departures/rules.py items_check; the server checks it again). A text key, or "".
export function itemsRefusal(items, { weapons, child }) {
  let weaponsSeen = 0;
  for (const item of items) {
    if (item.kind === "belongings") continue;
    if (item.heavy) return "heavy";
    if (weapons === "none") return "none_allowed";
    if (child) return "child_weapon";
    if (item.kind === "weapon") {
      weaponsSeen += 1;
      if (weaponsSeen > 1 || !item.tag.trim()) return "tag";
    }
  }
  return "";
}

class Door {
  constructor(root) {
    this.root = root;
    this.$ = (id) => document.getElementById(id);
    this.words = JSON.parse(this.$("door-words").textContent);
    this.text = {};
    for (const node of this.$("door-text").content.querySelectorAll("[data-k]")) {
      this.text[node.dataset.k] = node.textContent;
    }
    this.convoy = Number(root.dataset.convoy);
    this.vehicle = Number(root.dataset.vehicle);
    this.packKey = `sulh.door.pack.${this.convoy}.${this.vehicle}`;
    this.queueKey = `sulh.door.queue.${this.convoy}.${this.vehicle}`;
    this.queue = read(this.queueKey) || [];
    this.pack = read(this.packKey);
    this.trust = null;
    this.status = null;
    this.found = null;
    this.sending = false;
    this.retry = 0;
    try {
      this.pinnedRoot = unb64u(root.dataset.rootKey || "");
    } catch {
      this.pinnedRoot = new Uint8Array();
    }
  }

  t(key, params = {}) {
    return (this.text[key] ?? key).replace(
      /\{(\w+)\}/g,
      (_, name) => "\u2068" + String(params[name] ?? "") + "\u2069",
    );
  }

  async start() {
    this.$("find").addEventListener("click", () => this.find());
    this.$("code").addEventListener("keydown", (e) => e.key === "Enter" && this.find());
    this.$("board").addEventListener("click", () => this.board());
    this.$("refresh").addEventListener("click", () => this.refresh());
    this.startCamera();
    await this.restoreLists();
    this.render();
    if (navigator.onLine !== false) await this.refresh();
    window.addEventListener("online", () => this.refresh());
    setInterval(() => this.refresh(), REFRESH_MS);
    this.root.dataset.ready = "true";
    this.send();
    await this.goOffline();
  }

  // ----- what the phone keeps

  async restoreLists() {
    const kept = read(LISTS);
    if (!kept) return;
    try {
      const trust = await loadTrustList(kept.trust, this.pinnedRoot);
      const status = await loadStatusList(kept.status, trust.statusSigner);
      this.trust = trust;
      this.status = status;
    } catch {
      // A kept list that no longer loads (another root): fetched again when online.
    }
  }

  async refresh() {
    try {
      const get = async (url, credentials) => {
        const response = await this.fetchTimed(url, { cache: "no-store", credentials });
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      };
      const before = Date.now();
      const pack = await get(this.root.dataset.packUrl, "same-origin");
      const trustDoc = await get(this.root.dataset.trustUrl, "omit");
      const statusDoc = await get(this.root.dataset.statusUrl, "omit");
      const trust = await loadTrustList(trustDoc, this.pinnedRoot);
      const status = await loadStatusList(statusDoc, trust.statusSigner);
      if (this.trust && trust.sequence < this.trust.sequence) throw new Error("older list");
      if (this.status && status.sequence < this.status.sequence) throw new Error("older list");
      // The site's clock, not the phone's: boardings are stamped with it.
      pack.clock_offset_ms = Date.parse(pack.server_now) - Math.round((before + Date.now()) / 2);
      pack.fetched_at = pack.server_now;
      this.pack = pack;
      this.trust = trust;
      this.status = status;
      write(this.packKey, pack);
      write(LISTS, { trust: trustDoc, status: statusDoc });
      this.render();
      this.send();
    } catch {
      this.net(false);
    }
  }

  async goOffline() {
    // verify.js is imported, not in a <script> tag: it is kept too
    const more = [new URL("./verify.js", import.meta.url).href];
    if (await keepOffline(this.root, more)) this.root.dataset.offline = "ready";
  }

  // ----- the travellers

  all() {
    return this.pack ? [...this.pack.travellers, ...(this.pack.elsewhere || [])] : [];
  }

  here(key) {
    return this.pack ? this.pack.travellers.find((t) => t.key === key) || null : null;
  }

  // A traveller's state at this door: the last event queued for them (not refused by
  // the site), else what the pack said.
  stateOf(traveller) {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const event = this.queue[i];
      if (event.traveller === traveller.key && event.state !== "refused") return event.kind;
    }
    return traveller.status;
  }

  // ----- a scan

  fail(key, params) {
    this.found = null;
    this.$("found").hidden = true;
    this.$("scan-error").textContent = this.t(key, params);
    this.root.dataset.scan = "refused";
  }

  async find(text = this.$("code").value) {
    const started = performance.now();
    this.$("scan-error").textContent = "";
    this.$("done").textContent = "";
    text = String(text).trim();
    if (!this.pack) return this.fail("no_pack");
    if (this.pack.state !== "planned") return this.fail("left");
    let traveller = null;
    if (text.toUpperCase().startsWith(PREFIX)) {
      if (!this.trust) return this.fail("no_lists");
      const outcome = await verifyCard(text, { trust: this.trust, status: this.status });
      this.$("code").value = ""; // a card's code carries the holder's names: not kept
      if (outcome.verdict !== Verdict.VALID) {
        return this.fail("not_valid", { verdict: outcome.verdict });
      }
      const key = this.pack.cards[outcome.card.cardId];
      traveller = key === undefined ? null : this.here(key);
      if (!traveller) return this.fail("no_card_here");
    } else {
      const digits = westernDigits(text);
      if (!digits) return this.fail("enter");
      traveller = /^\d{1,9}$/.test(digits) ? this.here(Number(digits)) : null;
      if (!traveller) return this.fail("not_here");
    }
    this.show(traveller);
    this.root.dataset.scanMs = String(performance.now() - started);
    return traveller;
  }

  show(traveller) {
    this.found = traveller;
    this.root.dataset.scan = "found";
    const box = this.$("found");
    box.hidden = false;
    box.dataset.traveller = String(traveller.key);
    this.$("found-key").textContent = String(traveller.key);
    const who = traveller.principal
      ? this.t("holder")
      : [traveller.relation, traveller.sex, traveller.birth_year ?? ""].join(" · ");
    this.$("found-who").textContent = who + (traveller.child ? " · " + this.t("child") : "");
    const state = this.stateOf(traveller);
    this.$("found-status").textContent = this.words[`traveller:${state}`] || state;
    this.$("found-status").dataset.state = state;
    this.$("found-items").textContent = traveller.items.length
      ? traveller.items.map((i) => this.words[`carried:${i.kind}`] || i.kind).join("; ")
      : this.t("nothing");
    const group = this.all().filter((t) => t.order === traveller.order && t.key !== traveller.key);
    this.$("found-group").textContent = group
      .map((t) => {
        const s = this.stateOf(t);
        let line = `${t.key}${t.child ? " (" + this.t("child") + ")" : ""}: ${this.words[`traveller:${s}`] || s}`;
        if (t.vehicle !== this.vehicle) line += ` · ${this.t("vehicle")} ${t.vehicle}`;
        return line;
      })
      .join("; ");
    this.$("items-yes").checked = true;
    this.$("door-kind").value = "";
    this.$("door-tag").value = "";
    this.$("door-heavy").checked = false;
    this.$("items-error").textContent = "";
  }

  doorItems() {
    if (this.$("items-yes").checked) return null;
    const kind = this.$("door-kind").value;
    if (!kind) return [];
    return [{ kind, tag: this.$("door-tag").value.trim(), heavy: this.$("door-heavy").checked }];
  }

  board() {
    const traveller = this.found;
    if (!traveller) return;
    if (this.stateOf(traveller) !== "manifested") {
      this.$("items-error").textContent = this.t("already");
      this.root.dataset.scan = "refused";
      return;
    }
    const items = this.doorItems();
    const refusal = itemsRefusal(items ?? [], {
      weapons: this.pack.weapons,
      child: traveller.child,
    });
    if (refusal) {
      this.$("items-error").textContent = this.t(refusal);
      this.root.dataset.scan = "refused";
      return;
    }
    this.enqueue("boarded", traveller, items);
    this.$("found").hidden = true;
    this.found = null;
    this.$("code").value = "";
    this.$("done").textContent = this.t("boarded", { key: traveller.key });
    this.root.dataset.scan = "boarded";
  }

  noShow(traveller) {
    if (this.stateOf(traveller) !== "manifested") return;
    this.enqueue("no_show", traveller, null);
    this.$("done").textContent = this.t("no_show", { key: traveller.key });
  }

  enqueue(kind, traveller, items) {
    const at = new Date(Date.now() + (this.pack.clock_offset_ms || 0)).toISOString();
    const event = {
      id: eventId(),
      kind,
      traveller: traveller.key,
      vehicle: this.vehicle,
      at,
      items,
      state: "pending",
    };
    this.queue.push(event);
    write(this.queueKey, this.queue);
    this.render();
    this.send();
  }

  // ----- sending

  async fetchTimed(url, options = {}) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
    try {
      return await fetch(url, { ...options, signal: abort.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  async send() {
    if (this.sending) return;
    this.sending = true;
    clearTimeout(this.retry);
    let stopped = false;
    try {
      for (const event of this.queue) {
        if (event.state !== "pending") continue;
        const boarded = event.kind === "boarded";
        const body = { traveller: event.traveller, at: event.at, device_event_id: event.id };
        if (boarded) {
          body.vehicle = event.vehicle;
          if (event.items !== null) body.items = event.items;
        }
        let response;
        try {
          response = await this.fetchTimed(
            boarded ? this.root.dataset.boardingUrl : this.root.dataset.noShowUrl,
            {
              method: "POST",
              credentials: "same-origin",
              headers: { "Content-Type": "application/json", "X-CSRFToken": this.root.dataset.csrf },
              body: JSON.stringify(body),
            },
          );
        } catch {
          stopped = true; // no network, or it dropped: the event stays queued
          break;
        }
        if (response.status === 200 || response.status === 201) {
          event.state = "sent";
          event.replayed = response.status === 200;
        } else if ([404, 409, 422].includes(response.status)) {
          // The site refused it (and recorded nothing): shown, never sent again.
          let answer = {};
          try {
            answer = await response.json();
          } catch {
            answer = {};
          }
          event.state = "refused";
          event.error = (answer.error && answer.error.message) || String(response.status);
        } else {
          stopped = true; // signed out, too many, or the server failed: retried later
          break;
        }
        write(this.queueKey, this.queue);
        this.render();
      }
    } finally {
      this.sending = false;
    }
    this.net(!stopped);
    this.render();
    if (this.queue.some((e) => e.state === "pending")) {
      this.retry = setTimeout(() => this.send(), RETRY_MS);
    }
  }

  net(up) {
    this.root.dataset.net = up ? "up" : "down";
    this.$("net").textContent = this.t(up ? "online" : "offline");
  }

  // ----- the page

  render() {
    const counts = { pending: 0, sent: 0, refused: 0, replayed: 0 };
    for (const event of this.queue) {
      counts[event.state] += 1;
      if (event.replayed) counts.replayed += 1;
    }
    for (const name of ["pending", "sent", "refused"]) {
      this.$(name).textContent = String(counts[name]);
      this.root.dataset[name] = String(counts[name]);
    }
    this.root.dataset.replayed = String(counts.replayed);
    const list = this.$("waiting-list");
    list.replaceChildren();
    if (!this.pack) {
      this.$("lists-state").textContent = this.t("no_pack");
      return;
    }
    const mine = this.pack.travellers;
    const aboard = mine.filter((t) => this.stateOf(t) === "boarded").length;
    this.$("aboard").textContent = String(aboard);
    this.root.dataset.aboard = String(aboard);
    const waiting = mine.filter((t) => this.stateOf(t) === "manifested");
    this.$("waiting-count").textContent = String(waiting.length);
    for (const t of waiting) {
      const item = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = `${t.key}${t.child ? " (" + this.t("child") + ")" : ""}`;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.id = `no-show-${t.key}`;
      button.textContent = this.t("did_not_come");
      button.addEventListener("click", () => this.noShow(t));
      item.append(label, " ", button);
      list.append(item);
    }
    this.$("lists-state").textContent = this.trust
      ? this.t("lists", { date: this.pack.fetched_at || "" })
      : this.t("no_lists");
  }

  // ----- the camera (as the verifier's)

  startCamera() {
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.jsQR)) return;
    const button = this.$("camera-button");
    button.hidden = false;
    button.addEventListener("click", async () => {
      if (this.camera) return this.stopCamera();
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" } },
          audio: false,
        });
      } catch {
        return;
      }
      const session = { stream, timer: 0 };
      this.camera = session;
      const video = this.$("camera-video");
      await showVideo(video, stream);
      scanVideo(video, session, () => this.camera === session, async (text) => {
        this.stopCamera();
        await this.find(text);
      });
    });
  }

  stopCamera() {
    if (!this.camera) return;
    cameraOff(this.camera, this.$("camera-video"));
    this.camera = null;
  }
}

if (typeof document !== "undefined") {
  const root = document.getElementById("door-device");
  if (root) {
    const door = new Door(root);
    window.sulhDoor = door; // for the benchmark's timing and for anyone reading the state
    door.start();
  }
}
