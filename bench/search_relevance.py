"""
The top-3 hit rate of reader search's everyday queries
(ports.reader.search_relevance) on the database DATABASE_URL names: the rate
on stdout, the report with its misses on stderr. Run by bench/run.py.
"""

import sys

import django

django.setup()

from ports.reader.search_relevance import measure  # noqa: E402

if __name__ == "__main__":
    relevance = measure()
    print("\n".join(relevance.report()), file=sys.stderr)
    print(f"{relevance.rate:.3f}")
