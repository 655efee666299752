"""
"Cite this page": a story version's permanent address in APA, MLA, BibTeX
and CSL-JSON.

The access date is the day the page was built; reader pages are shared by
caches for up to a day, so static/js/cite.js puts in the reader's own day,
written as each style writes dates: every access date is a
<span data-access-date="style"> in the markup.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from markupsafe import Markup, escape

# The styles' own English month names, whatever the page's language.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# MLA abbreviates the months of more than four letters.
MLA_MONTHS = tuple(m if len(m) <= 4 else m[:3] + "." for m in MONTHS)
MLA_MONTHS = tuple("Sept." if m == "Sep." else m for m in MLA_MONTHS)
BIBTEX_MONTHS = tuple(m[:3].lower() for m in MONTHS)

# A stand-in for the access date, from Unicode's private use area.
_ACCESS = "\ue000access\ue000"


def apa_date(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def mla_date(day: date) -> str:
    return f"{day.day} {MLA_MONTHS[day.month - 1]} {day.year}"


def csl_date(day: date) -> str:
    return f"{day.year}, {day.month}, {day.day}"


ACCESS_FORMATS = {
    "apa": apa_date,
    "mla": mla_date,
    "iso": date.isoformat,
    "csl": csl_date,
}


def _bibtex_text(text: str) -> str:
    """Text inside BibTeX braces: its special characters escaped."""
    for character in "\\{}":
        text = text.replace(character, "\\" + character)
    for character in "&%$#_":
        text = text.replace(character, "\\" + character)
    return text.replace("~", r"\textasciitilde{}").replace("^", r"\^{}")


@dataclass(frozen=True)
class Citation:
    style: str
    label: str
    text: str
    access_format: str

    def markup(self, accessed: date) -> Markup:
        """The text with its access date marked for cite.js."""
        span = Markup('<span data-access-date="{}">{}</span>').format(
            self.access_format, ACCESS_FORMATS[self.access_format](accessed)
        )
        return Markup(escape(self.text).replace(_ACCESS, span))


def cite(
    *,
    title: str,
    url: str,
    port: int,
    version: int,
    published_at: datetime,
    language: str,
) -> list[Citation]:
    """The citations of one version of a story, the access date left open."""
    site = settings.SITE_NAME
    day = timezone.localtime(published_at).date()
    key = f"{site}-port-{port}-v{version}"
    csl = {
        "id": key,
        "type": "webpage",
        "title": title,
        "author": [{"literal": site}],
        "container-title": site,
        "version": str(version),
        "language": language,
        "issued": {"date-parts": [[day.year, day.month, day.day]]},
        "accessed": {"date-parts": [[_ACCESS]]},
        "URL": url,
    }
    csl_text = json.dumps([csl], ensure_ascii=False, indent=2).replace(
        f'"{_ACCESS}"', _ACCESS
    )
    bibtex = "\n".join(
        [
            f"@misc{{{key},",
            f"  author = {{{{{_bibtex_text(site)}}}}},",
            f"  title = {{{{{_bibtex_text(title)}}}}},",
            f"  year = {{{day.year}}},",
            f"  month = {BIBTEX_MONTHS[day.month - 1]},",
            f"  date = {{{day.isoformat()}}},",
            f"  version = {{{version}}},",
            f"  url = {{{url}}},",
            f"  urldate = {{{_ACCESS}}},",
            f"  note = {{Version {version}}},",
            "}",
        ]
    )
    return [
        Citation(
            "apa",
            "APA",
            f"{site}. ({day.year}, {MONTHS[day.month - 1]} {day.day}). {title} "
            f"(Version {version}). Retrieved {_ACCESS}, from {url}",
            "apa",
        ),
        Citation(
            "mla",
            "MLA",
            f"“{title}.” {site}, version {version}, {mla_date(day)}, {url}. "
            f"Accessed {_ACCESS}.",
            "mla",
        ),
        Citation("bibtex", "BibTeX", bibtex, "iso"),
        Citation("csl-json", "CSL-JSON", csl_text, "csl"),
    ]
