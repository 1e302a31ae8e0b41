"""The printed card is one ID-1 page (85.6 x 54 mm) whatever the program: the walk through
every role (second pass) found the Arabic "scan to verify" line alone on a second page
once the card said what it grants, in both languages, beside the holder's photo."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from PIL import Image

from sulh.cards.format import Holder
from sulh.cards.pdf import PrintedCard, card_pdf
from sulh.programs.services import program_get_definition, programs_all

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdfinfo") is None,
        reason="needs poppler-utils' pdfinfo (apt-get install poppler-utils)",
    ),
]


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 375), (120, 140, 160)).save(out, format="JPEG")
    return out.getvalue()


def _pages(pdf: bytes) -> int:
    """The page count as poppler's pdfinfo reads it (the PDF's objects are compressed)."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    return int(re.search(rb"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def test_every_programs_card_prints_on_one_page(programs):
    text = "SULH1:" + "NCF0802-90T9WPWGSLKC 4TV81FQ08WF" * 16  # as long as a card with a face
    for program in programs_all():
        definition = program_get_definition(code=program.code)
        grants = definition.card.grants
        card = PrintedCard(
            text=text,
            holder=Holder(
                name_ar="عبد الرحمن محمد عبد الكريم الحسيني",
                name_lat="Abd al-Rahman Muhammad Abd al-Karim al-Husseini",
                birth_year=1990,
            ),
            card_id="c1a86c99220b",
            # as the demo's open copy names them, the longest titles printed
            program_ar="(تجريبي، مفتوح الآن) " + definition.title.ar,
            program_en="(demo, open now) " + definition.title.en,
            office_ar="مركز حلب الشرقي الأول",
            office_en="Aleppo east centre 1",
            valid_from=dt.date(2026, 12, 6),
            valid_until=dt.date(2027, 3, 6),
            photo=_photo(),
            grants_ar=grants.ar if grants else "",
            grants_en=grants.en if grants else "",
        )
        assert _pages(card_pdf(card)) == 1, program.code
