"""The reader site's Jinja2 environment: translations, addresses and markup."""

import ast
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import polib
import pytest
from django.conf import settings
from django.template import engines
from django.template.defaultfilters import date as django_date
from django.urls import NoReverseMatch, reverse, set_script_prefix, translate_url
from django.utils import timezone as django_timezone
from django.utils import translation

from ports.management.commands.makemessages import jinja2_messages_as_python
from ports.reader import addresses, alternates, templating

READER_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "jinja2"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def env():
    return engines["jinja2"].env


# Translations -------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_strings_are_translated_into_the_active_language(env, language):
    source = (
        '{{ _("Search") }}|{{ _("Port %(number)s", number=n) }}|'
        '{{ _("Ports %(low)s–%(high)s", low=1, high=n) }}'
    )
    with translation.override(language):
        html = env.from_string(source).render(n=80)
        expected = "|".join(
            [
                translation.gettext("Search"),
                translation.gettext("Port %(number)s") % {"number": 80},
                translation.gettext("Ports %(low)s–%(high)s") % {"low": 1, "high": 80},
            ]
        )
    assert html == expected


def test_translations_escape_values_and_keep_markup(env):
    with translation.override("de"):
        html = env.from_string(
            '{{ _("Port %(number)s", number=value) }} {{ _("100%% sure") }}'
        ).render(value="<b>&")
    assert html == "Port &lt;b&gt;&amp; 100% sure"


def test_one_compiled_template_serves_every_language(env):
    template = env.get_template("includes/footer.html")
    with translation.override("fr"):
        french = template.render()
    with translation.override("ja"):
        japanese = template.render()
    assert translation.gettext("RSS feed") not in french
    with translation.override("ja"):
        assert translation.gettext("RSS feed") in japanese


# Message extraction -----------------------------------------------------------------


def test_extraction_reads_gettext_plural_and_named_values():
    source = (
        b'<p>{{ _("Hello") }}</p>\n'
        b'{{ _("Port %(number)s", number=n) }} {{ _(variable) }}\n'
        b'{{ ngettext("%(count)s port", "%(count)s ports", n, count=n) }}\n'
    )
    lines = jinja2_messages_as_python(source).splitlines()
    assert lines[0] == "gettext('Hello')"
    assert lines[1] == "gettext('Port %(number)s')"  # _(variable) has no text
    assert lines[2] == "ngettext('%(count)s port', '%(count)s ports', 0)"
    ast.parse("\n".join(lines))  # what xgettext reads is Python


def _template_messages():
    messages = set()
    for path in sorted(READER_TEMPLATES.rglob("*.html")):
        tree = ast.parse(jinja2_messages_as_python(path.read_bytes()))
        for call in ast.walk(tree):
            if isinstance(call, ast.Call):
                texts = [
                    arg.value for arg in call.args if isinstance(arg, ast.Constant)
                ]
                strings = tuple(text for text in texts if isinstance(text, str))
                messages.add(strings)
    return messages


@pytest.mark.parametrize(
    "folder", sorted(p.name for p in Path(settings.LOCALE_PATHS[0]).iterdir())
)
def test_every_string_of_the_reader_templates_is_translated(folder):
    catalogue = polib.pofile(
        str(Path(settings.LOCALE_PATHS[0]) / folder / "LC_MESSAGES" / "django.po")
    )
    translated = {
        (entry.msgid, entry.msgid_plural) if entry.msgid_plural else (entry.msgid,)
        for entry in catalogue.translated_entries()
    }
    missing = sorted(_template_messages() - translated)
    assert missing == []


# Addresses --------------------------------------------------------------------------

READER_ROUTES = [
    ("ports:home", (), {}),
    ("ports:port-list", (), {}),
    ("ports:port-detail", (80,), {}),
    ("ports:port-detail", (0,), {}),
    ("ports:port-detail", (65535,), {}),
    ("ports:feedback", (443,), {}),
    ("ports:port-range", (6000, 6063), {}),
    ("ports:port-range", (), {"low": 1, "high": 5}),
    ("ports:range-class", ("dynamic",), {}),
    ("ports:service-detail", ("iso-tsap",), {}),
    ("ports:service-detail", ("a b/ü?#",), {}),
    ("ports:search", (), {}),
    ("sitemap-index", (), {}),
]


@pytest.mark.parametrize("language", ["en", "ja", "pt-br", "zh-hans"])
@pytest.mark.parametrize("script_prefix", ["/", "/wiki/"])
def test_addresses_are_what_reverse_gives(language, script_prefix):
    set_script_prefix(script_prefix)
    try:
        with translation.override(language):
            for name, args, kwargs in READER_ROUTES:
                for _twice in range(2):  # reversed, then remembered
                    assert addresses.url(name, *args, **kwargs) == reverse(
                        name, args=args or None, kwargs=kwargs or None
                    ), (name, args, kwargs)
    finally:
        set_script_prefix("/")


def test_addresses_refuse_what_reverse_refuses():
    for args in ((-1,), (True,), ("80x",)):
        with pytest.raises(NoReverseMatch):
            reverse("ports:port-detail", args=args)
        with pytest.raises(NoReverseMatch):
            addresses.url("ports:port-detail", *args)


class _Request:
    """The parts of a request page_alternates reads."""

    def __init__(self, path_info, script_name="", resolver_match=None):
        self.path_info = path_info
        self.path = script_name + path_info
        if resolver_match is not None:
            self.resolver_match = resolver_match


@pytest.mark.parametrize("language", ["en", "ja", "pt-br"])
@pytest.mark.parametrize("script_name", ["", "/wiki"])
def test_page_addresses_in_other_languages_are_the_pages_reversed_in_each(
    language, script_name
):
    set_script_prefix(script_name + "/")
    try:
        with translation.override(language):
            for name, args, kwargs in READER_ROUTES:
                path = reverse(name, args=args or None, kwargs=kwargs or None)
                # A request's path is the address decoded, as servers pass it.
                path_info = unquote(path[len(script_name) :])
                found = alternates.page_alternates(_Request(path_info, script_name))
                assert [a.code for a in found] == LANGUAGES
                for alternate in found:
                    with translation.override(alternate.code):
                        expected = reverse(
                            name, args=args or None, kwargs=kwargs or None
                        )
                    assert alternate.url == expected, path
                    if not script_name:  # as Django's translate_url gives it
                        assert expected == translate_url(path, alternate.code)
    finally:
        set_script_prefix("/")


def test_only_a_languages_own_prefix_is_taken_off():
    # /de-at/ is German to get_language_from_path(), but not German's prefix.
    # A reader page's request, as the resolver left it.
    reader_page = SimpleNamespace(app_name="ports")
    found = alternates.page_alternates(
        _Request("/de-at/ports/80/", resolver_match=reader_page)
    )
    assert {a.code: a.url for a in found}["ja"] == "/ja/de-at/ports/80/"
    found = alternates.page_alternates(
        _Request("/de/ports/80/", resolver_match=reader_page)
    )
    assert {a.code: a.url for a in found}["ja"] == "/ja/ports/80/"


def test_an_address_that_is_no_page_has_no_alternates():
    assert alternates.page_alternates(_Request("/no/such/page/")) == []


# Filters --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "de", "ja", "ar"])
def test_the_date_filter_writes_what_djangos_does(language):
    moment = datetime(2025, 3, 28, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    with translation.override(language):
        for value in (moment, moment.replace(tzinfo=None), date(2025, 3, 28)):
            for arg in ("DATE_FORMAT", "SHORT_DATE_FORMAT", "c", "Y-m-d"):
                # Django's filter gets the local time, as its engine passes it.
                local = value
                if isinstance(value, datetime) and value.tzinfo:
                    local = django_timezone.localtime(value)
                assert templating.date(value, arg) == django_date(local, arg)
    assert templating.date(None) == ""


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="makemessages needs gettext's xgettext"
)
def test_makemessages_finds_exactly_the_strings_of_the_catalogues(tmp_path):
    """`make messages` on the code as it is adds and drops nothing."""
    root = Path(settings.BASE_DIR)
    for name in ("manage.py", "Makefile"):
        shutil.copy2(root / name, tmp_path / name)
    for name in ("portwiki", "ports", "templates"):
        shutil.copytree(root / name, tmp_path / name, ignore=_NOT_SOURCE)
    shutil.copytree(root / "locale" / "ja", tmp_path / "locale" / "ja")
    makefile = (root / "Makefile").read_text().replace("\\\n", " ")
    ignored = re.search(r"^MESSAGES_IGNORE := (.*)$", makefile, re.M)[1].split()
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--no-obsolete",
            "-l",
            "ja",
            *(f"--ignore={pattern}" for pattern in ignored),
        ],
        cwd=tmp_path,
        env={**os.environ, "DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr

    def messages(path):
        catalogue = polib.pofile(str(path / "locale/ja/LC_MESSAGES/django.po"))
        return {(e.msgid, e.msgid_plural) for e in catalogue if not e.obsolete}

    extracted, committed = messages(tmp_path), messages(root)
    assert extracted == committed
    assert ("Port %(number)s", "") in extracted  # from the Jinja2 templates
    assert ("%(count)s port", "%(count)s ports") in extracted


_NOT_SOURCE = shutil.ignore_patterns("__pycache__", "*.pyc")
