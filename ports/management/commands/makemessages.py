"""
Django's makemessages, reading the reader site's Jinja2 templates as well.

Django extracts strings from its own template language only. Templates of
the Jinja2 engine are read with Jinja2's extractor (the one Babel uses): each
_(), gettext(), ngettext() and pgettext() call with literal text is written
out as the same Python call on the same line, which xgettext then reads as
it reads Django's preprocessed templates.
"""

import io
import os
from functools import cached_property

from django.conf import settings
from django.core.management.commands import makemessages
from jinja2.ext import babel_extract

# Jinja2 names → the Python function xgettext knows, and how many of its
# leading arguments are text (the rest are counts and named values).
KEYWORDS = {
    "_": ("gettext", 1),
    "gettext": ("gettext", 1),
    "ngettext": ("ngettext", 2),
    "pgettext": ("pgettext", 2),
    "npgettext": ("npgettext", 3),
}


def jinja2_template_dirs() -> list[str]:
    return [
        os.path.abspath(directory)
        for engine in settings.TEMPLATES
        if engine["BACKEND"].endswith(".Jinja2")
        for directory in engine.get("DIRS", [])
    ]


def jinja2_messages_as_python(source: bytes) -> str:
    """The template's translatable calls as Python, line for line."""
    lines = {}
    options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
    for lineno, function, message, _comments in babel_extract(
        io.BytesIO(source), list(KEYWORDS), [], options
    ):
        name, texts = KEYWORDS[function]
        arguments = (message if isinstance(message, tuple) else (message,))[:texts]
        if len(arguments) < texts or None in arguments:
            continue  # not literal text: nothing to extract
        literal = [repr(argument) for argument in arguments]
        if name in ("ngettext", "npgettext"):
            literal.append("0")  # the count, which xgettext does not read
        call = f"{name}({', '.join(literal)})"
        lines.setdefault(lineno, []).append(call)
    last = max(lines, default=0)
    return "\n".join("; ".join(lines.get(n, [])) for n in range(1, last + 1)) + "\n"


class BuildFile(makemessages.BuildFile):
    @cached_property
    def is_jinja2(self):
        path = os.path.abspath(self.path)
        return any(
            os.path.commonpath([path, directory]) == directory
            for directory in jinja2_template_dirs()
        )

    def preprocess(self):
        if not (self.is_templatized and self.is_jinja2):
            return super().preprocess()
        with open(self.path, "rb") as template:
            content = jinja2_messages_as_python(template.read())
        with open(self.work_path, "w", encoding="utf-8") as work:
            work.write(content)


class Command(makemessages.Command):
    build_file_class = BuildFile
