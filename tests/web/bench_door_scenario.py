"""The scenarios behind ``python -m bench departures_door`` (not collected by the suite: the
file name is not ``test_*``; the bench runs it through pytest for the live server, the
browser and the fixtures). Each writes its figures as JSON to ``$BENCH_DOOR_OUT``.

- ``test_bench_scans``: one 50-seat vehicle boarded at the offline door in the system's
  Chromium at a phone's width, CPU throttled ``$BENCH_DOOR_THROTTLE`` times (CDP
  ``Emulation.setCPUThrottlingRate``), with a bare ES256 verification loop in the same
  page as the peer.
- ``test_bench_dropping_network``: ``$BENCH_DOOR_BOARDINGS`` boardings on one convoy
  (one crossing) sent by door devices (boarding tokens) through the cutting proxy in
  ``flaky`` mode, each event resent until the site answers; then every traveller is
  counted once, none lost.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sulh.cards.services import card_issue, status_list_forget
from sulh.departures import services
from sulh.departures.models import Traveller, TravellerEvent
from sulh.keys.services import root_online_create
from sulh.web import departure_views
from tests.clients import device_token_for
from tests.departures.conftest import SAFE_PASSAGE, WHEN, convoy, departure_case, family_ids
from tests.web.conftest import BROWSER_TEST
from tests.web.cut_proxy import HOST, CutProxy
from tests.web.test_staff_browser import Desk

__all__ = ["convoy", "departure_case"]
pytestmark = BROWSER_TEST
AT = WHEN[SAFE_PASSAGE] + dt.timedelta(hours=3)
PHONE = {"width": 360, "height": 740}
A_FAMILY = (("spouse", "female", 1985), ("child", "male", 2008), ("child", "female", 2012))
BIG_FAMILY = (
    ("spouse", "female", 1985),
    *(("child", "male" if i % 2 else "female", 2001 + i) for i in range(8)),
)


def _out(name: str, figures: dict[str, Any]) -> None:
    path = Path(os.environ.get("BENCH_DOOR_OUT", "bench-door.json"))
    found = json.loads(path.read_text()) if path.exists() else {}
    found[name] = figures
    path.write_text(json.dumps(found, indent=1))


def _orders(
    personas: Any, departure_case: Any, vehicles: list[Any], members: Any, per: int, *, cards: bool
) -> dict[int, str]:
    """``per`` orders of the family ``members`` on each vehicle, each holder with a card
    when ``cards``. Returns {holder's traveller key: card text}."""
    texts: dict[int, str] = {}
    for vehicle in vehicles:
        for _ in range(per):
            case = departure_case(members=members)
            order = services.order_create(
                case=case, user=personas["coordinator"], family_member_ids=family_ids(case)
            )
            services.order_place(order=order, vehicle=vehicle, user=personas["coordinator"])
            if cards:
                card = card_issue(case=case, user=personas["card_officer"])
                texts[order.travellers.get(family_member__isnull=True).pk] = card.text
    return texts


# one scan in the page: the card verified (or the key read), the traveller found and
# shown, the boarding queued, and the page painted; the send runs on in the background
SCANS = """async (texts) => {
  const door = window.sulhDoor;
  const paint = () => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok)));
  const out = [];
  for (const text of texts) {
    const t0 = performance.now();
    const found = await door.find(text);
    if (!found) throw new Error("not found: " + door.$("scan-error").textContent);
    door.board();
    const t1 = performance.now();
    await paint();
    out.push([t1 - t0, performance.now() - t0]);
  }
  return out;
}"""

# the peer: a bare WebCrypto ES256 verification of a card-sized message, same page
BARE_VERIFY = """async (n) => {
  const alg = { name: "ECDSA", namedCurve: "P-256" };
  const pair = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  const key = await crypto.subtle.importKey("raw", raw, alg, false, ["verify"]);
  const message = crypto.getRandomValues(new Uint8Array(250));
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, message);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!(await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, sig, message)))
      throw new Error("no");
  }
  return (performance.now() - t0) / n;
}"""


def test_bench_scans(browser, live_server, personas, departure_case, convoy, monkeypatch):
    throttle = float(os.environ.get("BENCH_DOOR_THROTTLE", "4"))
    monkeypatch.setattr(departure_views, "_now", lambda: AT)
    root_online_create()
    status_list_forget()
    made = convoy(vehicles=(50,))
    vehicle = made.vehicles.get()
    started = time.perf_counter()
    cards = _orders(personas, departure_case, [vehicle], A_FAMILY, 12, cards=True)
    for _ in range(2):  # two holders alone: 50 seats
        cards.update(_orders(personas, departure_case, [vehicle], (), 1, cards=True))
    setup = time.perf_counter() - started
    keys = list(
        Traveller.objects.filter(vehicle=vehicle).order_by("pk").values_list("pk", flat=True)
    )
    assert len(keys) == 50
    texts = [cards.get(k, str(k)) for k in keys]

    phone = Desk(browser, live_server.url, "ar", personas["coordinator"], viewport=PHONE)
    page = phone.page
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    phone.go(f"/door/{made.pk}/{vehicle.number}/")
    page.wait_for_selector("#door-device[data-offline=ready]", state="attached")
    bare = [page.evaluate(BARE_VERIFY, 200) for _ in range(3)]
    times = page.evaluate(SCANS, texts)
    bare += [page.evaluate(BARE_VERIFY, 200) for _ in range(3)]
    wall_started = time.perf_counter()
    page.wait_for_selector("#door-device[data-pending='0']", state="attached", timeout=120_000)
    drained = time.perf_counter() - wall_started
    logic = [t[0] for t in times]
    painted = [t[1] for t in times]
    card_times = [t for t, k in zip(logic, keys, strict=True) if k in cards]
    key_times = [t for t, k in zip(logic, keys, strict=True) if k not in cards]
    card_painted = [t for t, k in zip(painted, keys, strict=True) if k in cards]
    assert TravellerEvent.objects.filter(event="boarded").count() == 50
    phone.errors.clear()
    phone.close()
    bare_ms = statistics.median(bare)
    figures = {
        "throttle": throttle,
        "scans": len(times),
        "card_scans": len(card_times),
        "card_scan_ms_median": statistics.median(card_times),
        "card_scan_ms_max": max(card_times),
        "key_scan_ms_median": statistics.median(key_times),
        "painted_ms_median": statistics.median(painted),
        "painted_ms_max": max(painted),
        "card_painted_ms_median": statistics.median(card_painted),
        "vehicle_seconds_logic": sum(logic) / 1000,
        "vehicle_seconds_painted": sum(painted) / 1000,
        "bare_verify_ms": bare_ms,
        "ratio_card_scan_to_bare_verify": statistics.median(card_times) / bare_ms,
        "queue_drained_s_after_last_scan": drained,
        "setup_s": setup,
    }
    _out("scans", figures)


def _device(port: int, token: str, convoy_id: int, events: list[dict[str, Any]], tally: dict):
    """One door device: sends its events in order, each resent (same device_event_id)
    until the site answers 201 or 200, reconnecting after every cut."""
    conn: http.client.HTTPConnection | None = None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = f"/api/convoys/{convoy_id}/boardings"
    for event in events:
        body = json.dumps(event)
        while True:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, port, timeout=10)
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                tally["retries"] += 1
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.01)
                continue
            if response.status in (200, 201):
                tally[str(response.status)] += 1
                break
            if response.status >= 500 or response.status == 429:
                tally["retries"] += 1
                tally[f"status_{response.status}"] = tally.get(f"status_{response.status}", 0) + 1
                tally.setdefault("first_busy", answer[:300].decode(errors="replace"))
                time.sleep(0.05)
                continue
            raise AssertionError(f"refused {response.status}: {answer[:200]!r}")
    if conn is not None:
        conn.close()


def _healthz_rate(port: int, clients: int, seconds: float = 3.0) -> float:
    """The peer: ``GET /healthz`` (one ``SELECT 1``) straight to the same server, from as
    many clients, for a few seconds."""
    done = [0] * clients
    until = time.perf_counter() + seconds

    def loop(index: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        while time.perf_counter() < until:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            done[index] += 1
        conn.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def test_bench_dropping_network(live_server, personas, departure_case, convoy):
    boardings = int(os.environ.get("BENCH_DOOR_BOARDINGS", "10000"))
    devices = int(os.environ.get("BENCH_DOOR_DEVICES", "4"))
    drop = float(os.environ.get("BENCH_DOOR_DROP", "0.3"))
    vehicles_n = -(-boardings // 50)
    made = convoy(vehicles=(50,) * vehicles_n, hours=(2, 23))
    vehicles = list(made.vehicles.order_by("number"))
    started = time.perf_counter()
    _orders(personas, departure_case, vehicles, BIG_FAMILY, 5, cards=False)
    setup = time.perf_counter() - started
    rows = list(
        Traveller.objects.filter(order__convoy=made)
        .order_by("pk")
        .values_list("pk", "vehicle__number")[:boardings]
    )
    assert len(rows) == boardings
    token = device_token_for(personas["coordinator"], scopes=["boarding"])
    # each device owns whole vehicles, as a boarding officer owns a door
    queues: list[list[dict[str, Any]]] = [[] for _ in range(devices)]
    for key, number in rows:
        queues[number % devices].append(
            {"traveller": key, "vehicle": number, "at": AT.isoformat(),
             "device_event_id": uuid.uuid4().hex}
        )  # fmt: skip
    proxy = CutProxy(upstream_port=int(live_server.url.rsplit(":", 1)[1]), mode="flaky", drop=drop)
    proxy.start()
    tallies = [{"200": 0, "201": 0, "retries": 0} for _ in range(devices)]
    threads = [
        threading.Thread(target=_device, args=(proxy.port, token, made.pk, q, t))
        for q, t in zip(queues, tallies, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    proxy.stop()
    peer = _healthz_rate(int(live_server.url.rsplit(":", 1)[1]), devices)
    boarded = TravellerEvent.objects.filter(event="boarded", traveller__order__convoy=made)
    counted = boarded.count()
    distinct = boarded.values("traveller_id").distinct().count()
    ids = set(boarded.values_list("device_event_id", flat=True))
    sent = {e["device_event_id"] for q in queues for e in q}
    figures = {
        "boardings": boardings,
        "devices": devices,
        "drop": drop,
        "seconds": seconds,
        "per_second": boardings / seconds,
        "healthz_per_second_direct": peer,
        "ratio_to_healthz": boardings / seconds / peer,
        "counted": counted,
        "distinct_travellers": distinct,
        "lost": len(sent - ids),
        "doubled": counted - distinct,
        "answered_201": sum(t["201"] for t in tallies),
        "answered_200_replayed": sum(t["200"] for t in tallies),
        "resends": sum(t["retries"] for t in tallies),
        "server_busy": {
            k: sum(t.get(k, 0) for t in tallies)
            for k in sorted({k for t in tallies for k in t if k.startswith("status_")})
        },
        "first_busy": next((t["first_busy"] for t in tallies if "first_busy" in t), ""),
        "connections": proxy.counts.connections,
        "connections_reset_on_accept": proxy.counts.refused,
        "answers_dropped_after_recording": proxy.counts.replies_dropped,
        "setup_s": setup,
    }
    _out("dropping", figures)
    assert counted == distinct == boardings and ids == sent
