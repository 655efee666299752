"""
Reader pages held by caches and purged by tag.

Every reader page is one public representation per address: views mark it
with `headers.share()` (Cache-Control public, its tags in Surrogate-Key).
Any HTTP cache may then keep it: a CDN or Varnish in front (`front`), and
the app's own page cache (`page_cache`). A change purges the tags it
touches (`tags` says which, `purging` does it) from every one of them.
"""
