"""A copy of a seed program whose window is open now, so the staff pages can be tried.

The seed programs are historical (2016, 2024): registration at their dates is over.
The demo (and the browser tests) register against a copy that opens a day ago and
closes in a month, under its own id and title.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

OPEN_ID = "demo-open-defectors"
SOURCE = "aleppo-2024-defectors.yaml"


def write_open_copy(*, programs_dir: Path, out_dir: Path, now: dt.datetime) -> Path:
    text = (programs_dir / SOURCE).read_text(encoding="utf-8")
    opens = (now - dt.timedelta(days=1)).replace(microsecond=0).isoformat()
    closes = (now + dt.timedelta(days=30)).replace(microsecond=0).isoformat()
    text = re.sub(r"(?m)^id: .*$", f"id: {OPEN_ID}", text)
    text = re.sub(r"(?m)^opens_at: .*$", f"opens_at: {opens}", text)
    text = re.sub(r"(?m)^deadline: .*$", f"deadline: {closes}", text)
    text = re.sub(r"(?m)^(  en: )(Settlement.*)$", r"\1(demo, open now) \2", text, count=1)
    text = re.sub(r"(?m)^(  ar: )(تسوية.*)$", r"\1(تجريبي) \2", text, count=1)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{OPEN_ID}.yaml"
    target.write_text(text, encoding="utf-8")
    return target
