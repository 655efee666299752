"""Feeds, sitemaps and robots.txt: valid XML listing what readers can find."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from ports.editorial import actions
from ports.models import Story
from ports.reader.sitemaps import RegisteredPortSitemap
from ports.registry import importing

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DEMO_PORTS = {373, 1381, 1544}
REGISTRY_FILE = (
    Path(settings.BASE_DIR).parent
    / "shared"
    / "data"
    / "service-names-port-numbers-2025-03-28-LF.csv"
)


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def xml(response):
    assert response.status_code == 200
    return ET.fromstring(response.content)


def test_rss_feed_lists_the_demo_stories(client, demo):
    response = client.get("/feeds/stories.rss")
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = xml(response).find("channel")
    assert channel.findtext("title") == "portwiki: new and updated port stories"
    items = channel.findall("item")
    links = {item.findtext("link") for item in items}
    assert links == {f"http://testserver/ports/{n}/" for n in DEMO_PORTS}
    titles = {item.findtext("title") for item in items}
    assert "Port 1381: Apple Network License Manager" in titles
    for item in items:
        assert item.findtext("description")
        assert item.findtext("pubDate")
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        assert guid.text.startswith(item.findtext("link") + "#version-")


def test_atom_feed_lists_the_demo_stories(client, demo):
    response = client.get("/feeds/stories.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = xml(response)
    entries = feed.findall(f"{ATOM}entry")
    links = {entry.find(f"{ATOM}link").get("href") for entry in entries}
    assert links == {f"http://testserver/ports/{n}/" for n in DEMO_PORTS}
    for entry in entries:
        assert entry.findtext(f"{ATOM}published")
        assert entry.findtext(f"{ATOM}updated")
        assert entry.findtext(f"{ATOM}summary")


def test_an_update_moves_the_story_to_the_top_as_a_new_item(client, demo):
    before = xml(client.get("/feeds/stories.rss")).find("channel").findall("item")
    old_guid = {item.findtext("link"): item.findtext("guid") for item in before}
    story = Story.objects.get(port=373)
    story.title = "Port 373: revised"
    story.save()
    actions.story_publish(story=story, by=None)
    items = xml(client.get("/feeds/stories.rss")).find("channel").findall("item")
    assert items[0].findtext("title") == "Port 373: revised"
    link = items[0].findtext("link")
    assert items[0].findtext("guid") != old_guid[link]
    assert len(items) == 3


def test_feeds_leave_out_drafts(client, demo):
    from tests.factories import make_story

    make_story(4600, title="Draft in feed")
    assert b"Draft in feed" not in client.get("/feeds/stories.rss").content
    assert b"Draft in feed" not in client.get("/feeds/stories.atom").content


def test_sitemap_index_lists_the_sections(client, demo):
    index = xml(client.get("/sitemap.xml"))
    locations = [node.findtext(f"{SITEMAP}loc") for node in index]
    assert locations == [
        "http://testserver/sitemap-pages.xml",
        "http://testserver/sitemap-stories.xml",
        "http://testserver/sitemap-ports.xml",
        "http://testserver/sitemap-registry.xml",
    ]


def sitemap_urls(client, path, *, every_language=False):
    """The sitemap's locations; only the English ones unless every_language."""
    urls = [
        node.findtext(f"{SITEMAP}loc")
        for node in xml(client.get(path)).iter(f"{SITEMAP}url")
    ]
    if every_language:
        return urls
    prefixes = tuple(
        f"http://testserver/{code}/" for code, _name in settings.LANGUAGES[1:]
    )
    return [url for url in urls if not url.startswith(prefixes)]


def test_story_sitemap_lists_the_demo_stories_with_dates(client, demo):
    root = xml(client.get("/sitemap-stories.xml"))
    urls = root.findall(f"{SITEMAP}url")
    assert sitemap_urls(client, "/sitemap-stories.xml") == [
        f"http://testserver/ports/{n}/" for n in sorted(DEMO_PORTS)
    ]
    assert all(u.findtext(f"{SITEMAP}lastmod") for u in urls)


def test_port_sitemap_lists_every_registered_port_once(client, demo):
    urls = sitemap_urls(client, "/sitemap-ports.xml")
    numbers = [int(url.rsplit("/", 2)[1]) for url in urls]
    # Story ports are in the stories section; ranges count for each port.
    assert numbers == [548, 3283, 5223, *range(6000, 6064)]
    assert len(set(urls)) == len(urls)


def test_pages_sitemap(client, demo):
    assert sitemap_urls(client, "/sitemap-pages.xml") == [
        "http://testserver/",
        "http://testserver/ports/",
        "http://testserver/ports/system/",
        "http://testserver/ports/user/",
        "http://testserver/ports/dynamic/",
        "http://testserver/ports/top-open/",
        "http://testserver/tools/free-port/",
    ]


def test_sitemaps_are_paged_as_the_protocol_allows(client, demo, monkeypatch):
    # Every entry (one port in one language) carries 15 alternate links:
    # 5,000 entries a page keep files far below the protocol's 50 MB.
    assert RegisteredPortSitemap.limit == 5000
    monkeypatch.setattr(RegisteredPortSitemap, "limit", 300)
    index = xml(client.get("/sitemap.xml"))
    locations = [node.findtext(f"{SITEMAP}loc") for node in index]
    assert locations[2:] == [
        "http://testserver/sitemap-ports.xml",
        "http://testserver/sitemap-ports.xml?p=2",
        "http://testserver/sitemap-ports.xml?p=3",
        "http://testserver/sitemap-ports.xml?p=4",
        "http://testserver/sitemap-registry.xml",
    ]
    entries = 67 * len(settings.LANGUAGES)
    last = sitemap_urls(client, "/sitemap-ports.xml?p=4", every_language=True)
    assert len(last) == entries - 900
    assert client.get("/sitemap-ports.xml?p=5").status_code == 404


@pytest.mark.skipif(not REGISTRY_FILE.exists(), reason=f"{REGISTRY_FILE} is missing")
def test_port_sitemap_of_the_real_registry(client, django_assert_max_num_queries):
    importing.import_registry(REGISTRY_FILE.read_bytes(), file_name=REGISTRY_FILE.name)
    # Two queries for the ports, five index lookups for the page cache's
    # freshness data (last change, next scheduled change).
    with django_assert_max_num_queries(7):
        first = sitemap_urls(client, "/sitemap-ports.xml", every_language=True)
    assert len(first) == RegisteredPortSitemap.limit
    urls, page = [], 1
    while client.get(f"/sitemap-ports.xml?p={page}").status_code == 200:
        urls += sitemap_urls(client, f"/sitemap-ports.xml?p={page}")
        page += 1
    assert 6000 < len(urls) < 7000
    assert "http://testserver/ports/80/" in urls
    assert "http://testserver/ports/6063/" in urls  # the end of x11's range


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines and "Disallow: /search/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /ports/" not in lines
