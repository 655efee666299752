"""The reader site in many languages: URLs, direction, interface strings, fallback."""

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import engines
from django.urls import reverse
from django.utils import translation

from ports import languages
from ports.editorial import actions
from ports.models import FeedbackPrompt, Story
from tests.factories import make_faq, make_published_story, make_related

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = {
    "ja": "ja",
    "ps": "ps",
    "de": "de",
    "fr": "fr",
    "es": "es",
    "pt-br": "pt_BR",
    "zh-hans": "zh_Hans",
    "ar": "ar",
    "fa": "fa",
    "vi": "vi",
    "id": "id",
    "tr": "tr",
    "ru": "ru",
}
RTL = ("ps", "ar", "fa")
_PLACEHOLDER_RE = re.compile(r"%\(\w+\)s|<[^>]+>")


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def html_of(response):
    assert response.status_code == 200, response
    return response.content.decode()


def html_tag(html):
    return re.search(r"<html[^>]*>", html)[0]


# Languages and URLs ---------------------------------------------------------------


def test_the_site_speaks_english_and_the_thirteen_others():
    codes = [code for code, _name in settings.LANGUAGES]
    assert codes == ["en", *CATALOGUES]


def test_english_has_no_prefix_and_every_other_language_has_its_own(client, db):
    assert '<html lang="en" dir="ltr">' in html_of(client.get("/ports/373/"))
    for code in CATALOGUES:
        with translation.override(code):
            path = reverse("ports:port-detail", args=[373])
        assert path == f"/{code}/ports/373/"
        assert f'<html lang="{code}"' in html_of(client.get(path))


def test_the_browser_language_does_not_change_an_english_address(client, db):
    """Each language has one address; /ports/… is English for every reader."""
    html = html_of(client.get("/ports/373/", HTTP_ACCEPT_LANGUAGE="ja"))
    assert '<html lang="en"' in html


def test_an_unknown_language_prefix_is_not_a_page(client, db):
    assert client.get("/xx/ports/373/").status_code == 404
    assert client.get("/en/ports/373/").status_code == 404


@pytest.mark.parametrize("code", RTL)
def test_right_to_left_languages_render_rtl(client, db, code):
    html = html_of(client.get(f"/{code}/ports/1544/"))
    assert html_tag(html) == f'<html lang="{code}" dir="rtl">'


@pytest.mark.parametrize("code", [c for c in CATALOGUES if c not in RTL])
def test_left_to_right_languages_render_ltr(client, db, code):
    assert 'dir="ltr"' in html_tag(html_of(client.get(f"/{code}/ports/1544/")))


def test_english_text_on_a_right_to_left_page_runs_left_to_right(client, demo):
    html = html_of(client.get("/ar/ports/373/"))
    # The story is not translated into Arabic: its body is English, marked so.
    assert 'class="story-body" lang="en" dir="ltr"' in html


def test_the_stylesheet_uses_logical_sides_so_rtl_pages_mirror():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)\b|(?<![-\w])(?:left|right):|"
        r"text-align:\s*(?:left|right)|float:\s*(?:left|right)",
        css,
    )
    assert physical == []


# Interface strings ----------------------------------------------------------------


def test_japanese_page_shows_the_japanese_prompt_and_interface(client, demo):
    html = html_of(client.get("/ja/ports/1381/"))
    assert '<html lang="ja" dir="ltr">' in html
    # The prompt, from the translated FeedbackPrompt.
    feedback = html.split('id="feedback"')[1]
    assert 'lang="ja">このページは役に立ちましたか？</h2>' in feedback
    assert ">はい</button>" in feedback and ">いいえ</button>" in feedback
    # Interface strings, from the message catalogue.
    for text in (
        "本文へスキップ",
        "レジストリの公式情報",
        "待ち受けているものの確認方法",
        "すべてのポート",
        "検索",
        "出典",
    ):
        assert text in html, text
    for english in ("Skip to content", "Official registry facts", "All ports"):
        assert english not in html


@pytest.mark.parametrize("code", CATALOGUES)
def test_every_language_translates_the_interface(client, db, code):
    english = html_of(client.get("/ports/80/"))
    other = html_of(client.get(f"/{code}/ports/80/"))
    for text in (
        "Skip to content",
        "All ports",
        "Official registry facts",
        "Search ports, services and stories",
        "Copied",
    ):
        assert text in english
        assert text not in other, text


@pytest.mark.parametrize("code,folder", CATALOGUES.items())
def test_catalogues_are_complete_and_keep_every_placeholder(code, folder):
    catalogue = polib.pofile(str(LOCALE / folder / "LC_MESSAGES" / "django.po"))
    english = polib.pofile(str(LOCALE / "ja" / "LC_MESSAGES" / "django.po"))
    assert {e.msgid for e in catalogue} == {e.msgid for e in english}
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert catalogue.metadata["Language"] == folder
    assert "INTEGER" not in catalogue.metadata["Plural-Forms"]
    for entry in catalogue:
        expected = sorted(_PLACEHOLDER_RE.findall(entry.msgid))
        translations = (
            list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        )
        for text in translations:
            assert text and text != entry.msgid or entry.msgid.isdigit() is False
            if not entry.msgid_plural:
                assert sorted(_PLACEHOLDER_RE.findall(text)) == expected, entry.msgid


def test_translations_are_not_english_copies():
    """Apart from names and codes, a catalogue that copies English is unfinished."""
    for folder in CATALOGUES.values():
        catalogue = polib.pofile(str(LOCALE / folder / "LC_MESSAGES" / "django.po"))
        copies = [e.msgid for e in catalogue if e.msgstr == e.msgid]
        # Short words some languages share with English ("Port", "Transport").
        assert len(copies) <= 16, (folder, copies)


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext is not installed")
@pytest.mark.parametrize("folder", CATALOGUES.values())
def test_catalogues_pass_msgfmt_check(folder):
    po = LOCALE / folder / "LC_MESSAGES" / "django.po"
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], check=True)


def test_catalogues_compile_without_gettext(tmp_path):
    target = tmp_path / "locale"
    shutil.copytree(LOCALE, target, ignore=shutil.ignore_patterns("*.mo"))
    written = languages.compile_catalogues(directory=target)
    assert len(written) == len(CATALOGUES)
    assert languages.compile_catalogues(directory=target) == []  # up to date
    catalogue = polib.mofile(str(target / "ps" / "LC_MESSAGES" / "django.mo"))
    assert catalogue.find("Search").msgstr == "لټون"


READER_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "jinja2"


def _reader_templates():
    return sorted(READER_TEMPLATES.rglob("*.html"))


# Words that may stand untranslated in reader templates: names and markup.
_ALLOWED_WORDS = {"portwiki", "port", "wiki", "article", "website"}  # og:type
_TEMPLATE_CODE_RE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)
_VISIBLE_ATTRIBUTE_RE = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')


def visible_english(source):
    """Words a reader would see that no translation call produces."""
    # Template code (translation calls, variables, tags) goes first.
    source = _TEMPLATE_CODE_RE.sub("\x00", source)
    source = re.sub(
        r"<!--.*?-->|<script.*?</script>|<style.*?</style>", "", source, flags=re.S
    )
    attributes = " ".join(_VISIBLE_ATTRIBUTE_RE.findall(source))
    text = re.sub(r"<[^>]*>", " ", source)
    return [
        word
        for word in re.findall(r"[A-Za-z]{2,}", f"{attributes} {text}")
        if word.lower() not in _ALLOWED_WORDS
    ]


def test_the_english_finder_finds_english():
    assert visible_english('<p title="Hello">{{ _("x") }} World</p>') == [
        "Hello",
        "World",
    ]
    assert visible_english('<meta content="width=device-width">{{ x }}') == []


def _template_params():
    return list(_reader_templates())


@pytest.mark.parametrize("path", _template_params(), ids=lambda path: path.name)
def test_reader_templates_have_no_hard_coded_english(path):
    """Text readers see goes through _() or ngettext(); markup and names aside."""
    assert visible_english(path.read_text()) == []


def test_templates_load_in_the_engine():
    engine = engines["jinja2"]
    for path in _reader_templates():
        engine.get_template(str(path.relative_to(READER_TEMPLATES)))


# Translated content and the English fallback --------------------------------------


def test_untranslated_story_falls_back_to_english_marked_lang_en(client, db):
    make_published_story(4321, title="Port 4321 in English", body="English body.")
    html = html_of(client.get("/de/ports/4321/"))
    assert '<html lang="de"' in html
    assert '<h1 lang="en">Port 4321 in English</h1>' in html
    assert '<div class="story-body" lang="en">' in html
    assert "English body." in html
    # The note, in the reader's language.
    assert (
        "Diese Geschichte ist noch nicht in Ihre Sprache übersetzt und wird "
        "deshalb auf Englisch angezeigt." in html
    )


def test_translated_story_parts_show_in_the_readers_language(client, db):
    story = make_published_story(4322, title="English title", body="English body.")
    make_faq(story, question="English question?", answer="English answer.")
    make_related(story, 4323, note="English note")
    with translation.override("fr"):
        story.title = "Titre français"
        story.summary = "Résumé français."
        story.body = "Corps français."
        story.save()
        faq = story.faqs.get(question_en="English question?")
        faq.question, faq.answer = "Question française ?", "Réponse française."
        faq.save()
        related = story.related_ports.get()
        related.note = "Note française"
        related.save()
    actions.story_publish(story=Story.objects.get(pk=story.pk), by=None)
    html = html_of(client.get("/fr/ports/4322/"))
    assert '<h1 lang="fr">Titre français</h1>' in html
    assert '<div class="story-body" lang="fr">' in html
    assert '<h3 lang="fr">Question française ?</h3>' in html
    assert '<span lang="fr">Note française</span>' in html
    assert "pas encore été traduite" not in html
    # English readers keep the English.
    english = html_of(client.get("/ports/4322/"))
    assert '<h1 lang="en">English title</h1>' in english


def test_prompt_fields_are_filled_for_every_language(demo):
    prompt = FeedbackPrompt.objects.get(key="default")
    for code in languages.language_codes():
        suffix = code.replace("-", "_") if code != "id" else "ind"
        for field in ("question", "yes_label", "no_label", "comment_prompt", "thanks"):
            assert getattr(prompt, f"{field}_{suffix}"), (field, code)


# Switcher and alternates ----------------------------------------------------------


def alternates(html):
    return dict(
        re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)
    )


def test_every_page_head_has_hreflang_alternates_and_x_default(client, demo):
    for path in ("/", "/ports/", "/ports/373/", "/ports/system/", "/services/x11/"):
        links = alternates(html_of(client.get(path)))
        expected = {"x-default": f"http://testserver{path}"}
        for code in languages.language_codes():
            prefix = "" if code == "en" else f"/{code}"
            expected[code] = f"http://testserver{prefix}{path}"
        assert links == expected, path


def test_language_switcher_keeps_the_reader_on_the_same_port(client, demo):
    html = html_of(client.get("/ja/ports/1381/"))
    switcher = html.split('class="language-switcher"')[1].split("</details>")[0]
    links = dict(re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"', switcher))
    assert links == {
        ("/ports/1381/" if code == "en" else f"/{code}/ports/1381/"): code
        for code in languages.language_codes()
    }
    assert 'hreflang="ja" lang="ja" dir="ltr" aria-current="true">日本語' in switcher
    arabic = translation.get_language_info("ar")["name_local"]
    assert f'hreflang="ar" lang="ar" dir="rtl">{arabic}' in switcher
    assert 'hreflang="ps" lang="ps" dir="rtl">پښتو' in switcher


def test_switcher_on_a_missing_page_offers_each_home(client, db):
    response = client.get("/fr/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'href="/de/" hreflang="de"' in html
    assert alternates(html) == {}


def test_sitemap_lists_every_language_with_alternates_and_x_default(client, demo):
    xml = html_of(client.get("/sitemap-stories.xml"))
    assert "<loc>http://testserver/ja/ports/1381/</loc>" in xml
    pashto = xml.split("<loc>http://testserver/ps/ports/1381/</loc>")[1]
    entry = pashto.split("</url>")[0]
    for code in languages.language_codes():
        prefix = "" if code == "en" else f"/{code}"
        assert (
            f'<xhtml:link rel="alternate" hreflang="{code}" '
            f'href="http://testserver{prefix}/ports/1381/"/>' in entry
        )
    assert (
        '<xhtml:link rel="alternate" hreflang="x-default" '
        'href="http://testserver/ports/1381/"/>' in entry
    )


# Cache ----------------------------------------------------------------------------


def test_each_language_is_cached_separately_and_both_are_invalidated(client, db):
    story = make_published_story(4330, title="First")
    assert "First" in html_of(client.get("/ports/4330/"))
    assert "First" in html_of(client.get("/ja/ports/4330/"))
    assert '<html lang="ja"' in html_of(client.get("/ja/ports/4330/"))
    assert '<html lang="en"' in html_of(client.get("/ports/4330/"))
    with translation.override("en"):  # the English title, whatever was asked last
        story.title = "Second"
        story.save()
    actions.story_publish(story=story, by=None)
    assert "Second" in html_of(client.get("/ports/4330/"))
    assert "Second" in html_of(client.get("/ja/ports/4330/"))
