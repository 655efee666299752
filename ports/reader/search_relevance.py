"""
How well reader search finds what readers mean: everyday queries, each with
the ports a reader typing it is after, and the share of them whose expected
port is among the first three results the search page shows.

Measured against whatever the database holds; it means something with IANA's
whole registry and the observed data (nmap-services, the services file)
imported. tests/test_search_relevance.py and the benchmark's summary line
(search_top3) report it.
"""

from dataclasses import dataclass

from ports.reader import search

TOP = 3

# A query and the ports any of which answers it (a protocol often has a
# plain and a secure port, or a few of a family).
QUERIES = (
    ("ssh", {22}),
    ("secure shell", {22}),
    ("telnet", {23}),
    ("ftp", {21}),
    ("tftp", {69}),
    ("http", {80}),
    ("https", {443}),
    ("web", {80, 443, 8080}),
    ("proxy", {3128, 8080, 1080}),
    ("socks", {1080}),
    ("dns", {53}),
    ("mdns", {5353}),
    ("mail", {25, 465, 587}),
    ("smtp", {25}),
    ("submission", {587}),
    ("imap", {143}),
    ("imaps", {993}),
    ("pop3", {110}),
    ("rdp", {3389}),
    ("remote desktop", {3389}),
    ("vnc", {5900}),
    ("x11", {6000}),
    ("smb", {445}),
    ("netbios", {137, 138, 139}),
    ("nfs", {2049}),
    ("rsync", {873}),
    ("dhcp", {67, 68}),
    ("ntp", {123}),
    ("snmp", {161}),
    ("syslog", {514}),
    ("ldap", {389}),
    ("ldaps", {636}),
    ("kerberos", {88}),
    ("radius", {1812, 1645}),
    ("bgp", {179}),
    ("ipsec", {500, 4500}),
    ("openvpn", {1194}),
    ("pptp", {1723}),
    ("sip", {5060}),
    ("rtsp", {554}),
    ("upnp", {1900}),
    ("printer", {515, 631, 9100}),
    ("ipp", {631}),
    ("mysql", {3306}),
    ("postgres", {5432}),
    ("mssql", {1433}),
    ("oracle", {1521}),
    ("redis", {6379}),
    ("mongodb", {27017}),
    ("memcached", {11211}),
    ("elasticsearch", {9200}),
    ("mqtt", {1883}),
    ("amqp", {5672}),
    ("xmpp", {5222}),
    ("irc", {194, 6667}),
    ("git", {9418}),
    ("docker", {2375, 2376}),
    ("kubernetes", {6443}),
    ("minecraft", {25565}),
    ("bittorrent", {6881}),
)


@dataclass
class Check:
    query: str
    expected: set
    top: list  # (low, high) of the first TOP results, in page order

    @property
    def hit(self):
        return any(
            low <= port <= high for low, high in self.top for port in self.expected
        )


@dataclass
class Relevance:
    checks: list

    @property
    def rate(self):
        return sum(check.hit for check in self.checks) / len(self.checks)

    @property
    def misses(self):
        return [check for check in self.checks if not check.hit]

    def report(self):
        """The rate and each miss with what came first instead, as lines."""
        lines = [
            f"search top-{TOP} hit rate: {self.rate:.3f} "
            f"({len(self.checks) - len(self.misses)} of {len(self.checks)})"
        ]
        for check in self.misses:
            top = ", ".join(
                str(low) if low == high else f"{low}-{high}" for low, high in check.top
            )
            expected = ", ".join(str(port) for port in sorted(check.expected))
            lines.append(
                f"  miss: {check.query!r} expected {expected}, got {top or '-'}"
            )
        return lines


def result_ports(results) -> list[tuple[int, int]]:
    """
    The ports of a search's results as the page lists them: recommended
    ports, the exact service name's entries, stories, registry entries, then
    ports only nmap or the services file name; each port or range once,
    entries without a port left out.
    """
    found = []
    for promoted in getattr(results, "promoted", []):
        found.append((promoted.port, promoted.port))
    for fact in results.services:
        found.append((fact.port_low, fact.port_high))
    for story in results.stories:
        found.append((story.port, story.port))
    for hit in results.registry:
        found.append((hit.port_low, hit.port_high))
    for hit in results.observed:
        found.append((hit.port, hit.port))
    return list(dict.fromkeys((low, high) for low, high in found if low is not None))


def measure(queries=QUERIES, *, language="en") -> Relevance:
    checks = []
    for text, expected in queries:
        results = search.search(text, language=language)
        checks.append(Check(text, set(expected), result_ports(results)[:TOP]))
    return Relevance(checks)
