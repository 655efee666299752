"""
Generate published stories for the benchmark: N stories on assigned ports,
each with 5 citations, 3 FAQs and 3 related ports, published through the
same service editors use.
"""

import random
import sys

import django

django.setup()

from django.db import transaction  # noqa: E402

from ports.editorial import actions  # noqa: E402
from ports.models import FAQ, Assignment, Citation, Port, RelatedPort, Story  # noqa: E402

WORDS = (  # noqa: SIM905 (a list literal of 17 words reads worse)
    "registry protocol legacy service vendor daemon licence session transport "
    "history assignment network server client enterprise archive mainframe"
).split()


def sentence(rng, n=12):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def body(rng):
    parts = []
    for section in range(1, 4):
        parts.append(f"## Section {section}\n")
        for _ in range(3):
            parts.append(
                " ".join(sentence(rng) for _ in range(4)) + f"[^{rng.randint(1, 5)}]\n"
            )
    parts.append("".join(f"[^{n}]" for n in range(1, 6)))
    return "\n".join(parts)


def main(count):
    rng = random.Random(2000)
    numbers = sorted(
        set(
            Assignment.objects.filter(port_low__isnull=False, status="assigned")
            .values_list("port_low", flat=True)
            .distinct()
        )
        - set(Story.objects.values_list("port_id", flat=True))
    )
    chosen = rng.sample(numbers, count)
    Port.objects.ensure(numbers)
    for start in range(0, count, 200):
        with transaction.atomic():
            for number in chosen[start : start + 200]:
                story = Story.objects.create(
                    port_id=number,
                    title=f"Port {number}: {sentence(rng, 5)[:-1]}",
                    summary=sentence(rng, 20),
                    body=body(rng),
                )
                Citation.objects.bulk_create(
                    Citation(
                        story=story,
                        position=n,
                        title=sentence(rng, 6),
                        publisher="IANA",
                        url=f"https://example.org/{number}/{n}",
                    )
                    for n in range(1, 6)
                )
                FAQ.objects.bulk_create(
                    FAQ(
                        story=story,
                        position=n,
                        question=sentence(rng, 6),
                        answer=sentence(rng),
                    )
                    for n in range(1, 4)
                )
                RelatedPort.objects.bulk_create(
                    RelatedPort(
                        story=story, port_id=other, note=sentence(rng, 5), position=i
                    )
                    for i, other in enumerate(rng.sample(numbers, 3))
                )
                actions.story_publish(story=story, by=None)
        print(f"  {min(start + 200, count)}/{count}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
