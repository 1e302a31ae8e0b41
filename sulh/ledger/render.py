"""A bulletin as a page people read: HTML with charts (inline SVG, no script) and a PDF of it.

Rendered from the bulletin JSON alone, so what people read is exactly what the
monitor checks. A cell published as null reads "< N".
"""

from __future__ import annotations

from html import escape
from typing import Any

LABELS = {
    "registered": ("Registered", "المسجّلون"),
    "amnesty_granted": ("Amnesty granted", "مُنحوا العفو"),
    "departure": ("Departure", "المغادرون"),
    "referred": ("Referred", "المُحالون"),
    "denied": ("Denied", "المرفوضون"),
    "pending": ("Pending", "قيد النظر"),
    "decided": ("Decided", "القرارات"),
    "departed": ("Departed", "غادروا"),
    "no_show": ("Did not come", "لم يحضروا"),
    "arrived": ("Arrived", "وصلوا"),
    "removed": ("Removed on the way", "أُنزلوا في الطريق"),
    "returned": ("Returned", "أُعيدوا"),
    "unaccounted": ("Unaccounted for", "مجهولو المصير"),
    "fighters": ("Fighters", "المقاتلون"),
    "family_members": ("Family members", "أفراد الأسر"),
    "children": ("Children", "الأطفال"),
    "wounded": ("Wounded", "الجرحى"),
}
DEPARTURE_COLUMNS = [
    "departed", "no_show", "arrived", "removed", "returned", "unaccounted",
    "fighters", "family_members", "children", "wounded",
]  # fmt: skip
ROW_LABELS = {
    "earlier": ("Before the opening", "قبل الافتتاح"),
    "later": ("After the deadline", "بعد انتهاء المهلة"),
}
SECTIONS = (
    ("by_station", "By station", "حسب المركز"),
    ("by_sex", "By sex (adults)", "حسب الجنس (البالغون)"),
    ("by_age_band", "By age band (adults)", "حسب الفئة العمرية (البالغون)"),
)
COLOURS = ("#1d5c3f", "#3f7fbf", "#bf7f3f", "#9f3f5f", "#777777")
STYLE = """
@page { size: A4; margin: 14mm; }
body { font-family: "Noto Sans", "Noto Naskh Arabic", sans-serif; color: #111; margin: 0 auto;
       max-width: 60rem; padding: 1rem; font-size: 10.5pt; }
h1 { font-size: 16pt; margin: 0 0 0.3rem; color: #1d5c3f; }
h2 { font-size: 12pt; margin: 1.2rem 0 0.4rem; border-block-end: 1px solid #ccc; }
.ar { direction: rtl; text-align: right; font-family: "Noto Naskh Arabic", sans-serif; }
.meta { color: #444; font-size: 9pt; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin-block: 0.3rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.4rem; text-align: end; }
th:first-child, td:first-child { text-align: start; }
thead th { background: #eef3f0; }
svg { max-width: 100%; height: auto; }
.note { font-size: 8.5pt; color: #444; }
"""


def _cell(value: Any, min_cell: int) -> str:
    return f"&lt; {min_cell}" if value is None else escape(str(value))


def _row(key: str) -> str:
    if key in ROW_LABELS:
        en, ar = ROW_LABELS[key]
        return f'{escape(en)} <span class="ar">{escape(ar)}</span>'
    return escape(key)


def _label(key: str) -> str:
    en, ar = LABELS.get(key, (key, key))
    return f'{escape(en)}<br><span class="ar">{escape(ar)}</span>'


def _table(rows: dict[str, dict[str, Any]], columns: list[str], min_cell: int) -> str:
    head = "".join(f"<th>{_label(c)}</th>" for c in columns)
    body = "".join(
        f"<tr><td>{_row(key)}</td>"
        + "".join(f"<td>{_cell(row.get(c), min_cell)}</td>" for c in columns)
        + "</tr>"
        for key, row in rows.items()
    )
    return f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"


# A chart drawn at its own size (its width in CSS pixels) and shrunk only to fit a narrower
# screen: at 390 px its 13-unit text still renders above 11 px.
CHART_WIDTH, ROW_HEIGHT, LABEL_WIDTH, NUMBER_WIDTH, FONT_SIZE = 360, 24, 118, 46, 13
LABEL_CHARS = 17


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def bars(
    values: list[tuple[str, int | None]], *, title: str, rtl: bool = False, hidden: str = "< 5"
) -> str:
    """A horizontal bar chart; a suppressed value draws no bar and says ``hidden``.

    Right to left, labels stand on the right and bars grow leftwards. Every text carries its
    own direction and anchor: inherited from an Arabic page, ``start`` would put the label's
    right edge at x=0, off the canvas, and the number on top of its bar."""
    width, row_h, label_w, number_w = CHART_WIDTH, ROW_HEIGHT, LABEL_WIDTH, NUMBER_WIDTH
    top = max([v for _, v in values if v is not None] + [1])
    span, height = width - label_w - number_w, row_h * len(values) + 8
    text = f'direction="ltr" font-size="{FONT_SIZE}" fill="#1b1f24"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" direction="ltr"'
        f' role="img" aria-label="{escape(title)}">'
    ]
    for i, (label, value) in enumerate(values):
        y = 4 + i * row_h
        length = 0 if value is None else span * value / top
        shown = hidden if value is None else str(value)
        if rtl:  # mirrored: label | bar | number from the right
            label_x, label_anchor = width - label_w + 6, "start"
            bar_x, number_x, number_anchor = (
                width - label_w - length,
                width - label_w - length - 5,
                "end",
            )
        else:
            label_x, label_anchor = label_w - 6, "end"
            bar_x, number_x, number_anchor = label_w, label_w + length + 5, "start"
        parts.append(
            f"<g><title>{escape(label)}: {escape(shown)}</title>"
            f'<text x="{label_x}" y="{y + 16}" text-anchor="{label_anchor}" {text}>'
            f"{escape(_short(label))}</text>"
            f'<rect x="{bar_x:.1f}" y="{y + 4}" width="{length:.1f}" height="{row_h - 8}"'
            f' fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{number_x:.1f}" y="{y + 16}" text-anchor="{number_anchor}" {text}>'
            f"{escape(shown)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bulletin_html(bulletin: dict[str, Any], *, title_en: str, title_ar: str) -> str:
    method = bulletin.get("method") or {}
    min_cell = int(method.get("min_cell", 5))
    delay = int(method.get("delay_days", 7))
    through_en = escape(str(bulletin.get("tables_through", "yesterday")))
    through_ar = escape(str(bulletin.get("tables_through", "أمس")))
    figures = bulletin["figures"]
    outcome_keys = ["amnesty_granted", "departure", "referred", "denied", "pending"]
    sections = []
    for key, en, ar in SECTIONS:
        rows = bulletin.get(key, {})
        if rows:
            # the columns the bulletin publishes (by station: registered only)
            columns = [
                c for c in ["registered", *outcome_keys] if any(c in r for r in rows.values())
            ]
            sections.append(
                f'<h2>{escape(en)} <span class="ar">{escape(ar)}</span></h2>'
                + _table(rows, columns, min_cell)
            )
    by_day = bulletin.get("by_day", {})
    corridor = bulletin.get("corridor", {})
    corridor_rows = {
        day: {point: count for point, count in points.items()} for day, points in corridor.items()
    }
    corridor_points = sorted({p for points in corridor.values() for p in points})
    day_bars = [(ROW_LABELS.get(d, (d,))[0], row.get("registered")) for d, row in by_day.items()]
    head, hidden = bulletin["tree_head"], f"< {min_cell}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title_en)} — {escape(bulletin["day"])}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(title_en)}</h1>
<h1 class="ar">{escape(title_ar)}</h1>
<p class="meta">Bulletin of {escape(bulletin["day"])} · computed from the transparency log
of {head["size"]} entries, root {escape(head["root_hash"])}.</p>
<p class="note">Every number below is its true value plus a small random amount
({escape(str(method.get("name", "")))}, {escape(str(method.get("version", "")))}): tables
do not add up exactly, a row where nobody is may show a number, and "&lt; {min_cell}" means
fewer than {min_cell}, possibly none. A number changes only once at least {min_cell} people
have entered or left its cell since it last changed, and then at the end of a day drawn from
the following {delay} days, so it may be some days behind; the tables run to the end of
{through_en}. Outcomes are not published by
station. Only the exact totals are exact.</p>
<p class="note ar">نشرة يوم {escape(bulletin["day"])}، محسوبة من السجل العلني. أُضيف إلى كل رقم
مقدار عشوائي صغير: لذلك لا تتطابق المجاميع تماماً، وقد يظهر رقم في صف لا أحد فيه، و«&lt; {min_cell}»
تعني أقل من {min_cell} وقد تعني لا أحد. لا يتغير الرقم إلا بعد أن يدخل خانته أو يخرج منها {min_cell}
أشخاص على الأقل منذ آخر تغيّر له، ثم في نهاية يوم يُختار من الأيام {delay} التالية،
فقد يتأخر بضعة أيام؛ وتمتد الجداول حتى نهاية يوم {through_ar}.
لا تُنشر النتائج حسب المركز. الأرقام الدقيقة هي المجاميع الدقيقة وحدها.</p>
{_exact(bulletin.get("exact"))}
<h2>Outcomes (adults) <span class="ar">النتائج (البالغون)</span></h2>
{bars([(LABELS[k][0], figures.get(k)) for k in outcome_keys], title="Outcomes", hidden=hidden)}
{_table({"Total": figures}, ["registered", *outcome_keys], min_cell)}
<h2>Children (under 18 or age disputed) <span class="ar">الأطفال</span></h2>
<p class="note">Counted apart and in no other figure.</p>
{_table({"Children": bulletin.get("children", {})}, ["registered", *outcome_keys], min_cell)}
<h2>By day (adults) <span class="ar">حسب اليوم (البالغون)</span></h2>
{bars(day_bars, title="Days", hidden=hidden)}
{_table(by_day, ["registered", "decided"], min_cell)}
{"".join(sections)}
{_corridor(corridor_rows, corridor_points, min_cell)}
{_departures(bulletin.get("departures") or {}, min_cell)}
</body></html>"""


def _departures(rows: dict[str, dict[str, Any]], min_cell: int) -> str:
    """Per program ("all") and per convoy: the people who left, and what became of them."""
    if not rows:
        return ""
    labelled = {("All convoys" if key == "all" else key): row for key, row in rows.items()}
    return (
        '<h2>Departures <span class="ar">المغادرات</span></h2>'
        '<p class="note">People on the convoys that departed: departed = arrived + removed + '
        "returned + unaccounted for, before the noise.</p>"
        + _table(labelled, DEPARTURE_COLUMNS, min_cell)
    )


def _exact(block: dict[str, Any] | None) -> str:
    """The figures published exactly, as of the log entry they were counted at."""
    if not block:
        return (
            '<h2>Exact totals <span class="ar">المجاميع الدقيقة</span></h2>'
            '<p class="note">None yet: they are shown once they are large enough.</p>'
        )
    cells = "".join(
        f"<tr><td>{_label(name)}</td><td>{escape(str(value))}</td></tr>"
        for name, value in block.get("figures", {}).items()
    )
    return (
        '<h2>Exact totals (adults) <span class="ar">المجاميع الدقيقة (البالغون)</span></h2>'
        f'<p class="note">Counted over the first {escape(str(block.get("as_of_size")))} entries '
        "of the log.</p>"
        f"<table><tbody>{cells}</tbody></table>"
    )


def _corridor(rows: dict[str, dict[str, Any]], points: list[str], min_cell: int) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{escape(p)}</th>" for p in points)
    body = "".join(
        f"<tr><td>{_row(day)}</td>"
        + "".join(
            f"<td>{_cell(row[p], min_cell) if p in row else '–'}</td>"  # –: no tally entered
            for p in points
        )
        + "</tr>"
        for day, row in rows.items()
    )
    return (
        '<h2>Corridor crossings <span class="ar">العبور من الممرات</span></h2>'
        '<p class="note">Counts of crossings reported per point and day, not cases.</p>'
        f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def bulletin_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
