"""The printable card: an ID-1 sized PDF (85.6 x 54 mm) with the QR code, in Arabic and English.

WeasyPrint lays out the page with Pango and HarfBuzz, so Arabic names are shaped and
run right to left. The card shows only what is in the QR (names, birth year,
validity, the holder's face) plus the program's title, the issuing office and what the
card grants (from the program file): nothing about the holder's past. The printed photo
is the one taken at intake; the QR carries its thumbnail, signed, which the verifier shows.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from html import escape

from sulh.cards.format import Holder
from sulh.cards.qr import card_qr


@dataclass(frozen=True)
class PrintedCard:
    text: str
    holder: Holder
    card_id: str
    program_ar: str
    program_en: str
    office_ar: str
    office_en: str
    valid_from: dt.date
    valid_until: dt.date
    photo: bytes = b""  # the JPEG taken at intake
    grants_ar: str = ""
    grants_en: str = ""


STYLE = """
@page { size: 85.6mm 54mm; margin: 0; }
body { margin: 0; font-family: "Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", sans-serif;
       font-size: 6pt; color: #111; }
.band { height: 2mm; background: #1d5c3f; }
table.card { width: 85.6mm; border-collapse: collapse; margin-top: 1.2mm; }
td { vertical-align: top; padding: 0 2.5mm; }
td.qr { width: 33mm; padding-inline-end: 0; }
.qr svg { width: 33mm; height: 33mm; display: block; }
.id { font-family: "Noto Sans Mono", monospace; font-size: 5pt; text-align: center; }
p { margin: 0 0 0.5mm 0; line-height: 1.15; }
.ar { direction: rtl; text-align: right; }
.en { direction: ltr; text-align: left; font-family: "Noto Sans", sans-serif; }
.title { font-weight: bold; font-size: 5.2pt; color: #1d5c3f; }
.name { font-size: 9pt; font-weight: bold; }
.name-lat { font-size: 7pt; font-weight: bold; }
table.facts { width: 100%; border-collapse: collapse; margin-bottom: 0.7mm; }
table.facts td { padding: 0; font-size: 5.8pt; }
.note { font-size: 4.4pt; line-height: 1.1; color: #444; padding: 0 2.5mm; margin: 0; }
img.photo { float: right; width: 13mm; height: 16.25mm; object-fit: cover; margin: 0 0 0.8mm 1.2mm;
            border: 0.2mm solid #1d5c3f; }
.grants { font-size: 4.7pt; line-height: 1.1; font-weight: bold; color: #1d5c3f;
          padding: 0 2.5mm; margin: 0 0 0.3mm 0; }
"""


def card_html(card: PrintedCard) -> str:
    qr_svg = card_qr(card.text).svg_inline(scale=1, border=2, omitsize=True)
    year = escape(str(card.holder.birth_year or "—"))
    until = card.valid_until.strftime("%d/%m/%Y")  # day first, as every page says it
    photo = ""
    if card.photo:
        src = "data:image/jpeg;base64," + base64.b64encode(card.photo).decode("ascii")
        photo = f'<img class="photo" src="{src}" alt="">'
    grants = "".join(
        f'<p class="grants {cls}">{escape(text)}</p>'
        for cls, text in (("ar", card.grants_ar), ("en", card.grants_en))
        if text
    )
    return f"""<!doctype html>
<html lang="ar"><head><meta charset="utf-8"><style>{STYLE}</style></head>
<body><div class="band"></div>
<table class="card"><tr>
  <td class="qr">{qr_svg}<p class="id">{escape(card.card_id)}</p></td>
  <td>{photo}
    <p class="ar title">{escape(card.program_ar)}</p>
    <p class="en title" dir="ltr">{escape(card.program_en)}</p>
    <p class="ar name">{escape(card.holder.name_ar)}</p>
    <p class="en name-lat" dir="ltr">{escape(card.holder.name_lat)}</p>
    <table class="facts">
      <tr><td class="en">Born {year}</td><td class="ar">مواليد {year}</td></tr>
      <tr><td class="en">Valid until {until}</td>
        <td class="ar">صالحة حتى <span dir="ltr">{until}</span></td></tr>
      <tr><td class="en">{escape(card.office_en)}</td>
        <td class="ar">{escape(card.office_ar)}</td></tr>
    </table>
  </td>
</tr></table>
{grants}<p class="note en">Scan to verify offline. Void if the code does not verify.</p>
<p class="note ar">امسح الرمز للتحقق دون اتصال. البطاقة لاغية إذا لم يتحقق الرمز.</p>
</body></html>"""


def card_pdf(card: PrintedCard) -> bytes:
    return cards_pdf([card])


def cards_pdf(cards: list[PrintedCard]) -> bytes:
    """One PDF with a page per card, in the order given (a batch for the card printer)."""
    from weasyprint import HTML  # imported late: loading Pango takes a moment

    documents = [HTML(string=card_html(card)).render() for card in cards]
    pages = [page for document in documents for page in document.pages]
    return bytes(documents[0].copy(pages).write_pdf())
