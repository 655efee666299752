"""
Generate published stories for the benchmark: N stories on assigned ports,
each with 5 citations, 3 FAQs and 3 related ports, translated into several
languages (as search indexes them), published through the same service
editors use.
"""

import random
import sys

import django

django.setup()

from django.db import transaction  # noqa: E402
from story_words import TRANSLATED_WORDS, UNSPACED, WORDS  # noqa: E402

from ports.editorial import actions  # noqa: E402
from ports.models import FAQ, Assignment, Citation, Port, RelatedPort, Story  # noqa: E402


def sentence(rng, n=12, words=WORDS, separator=" "):
    return separator.join(rng.choice(words) for _ in range(n)).capitalize() + "."


def body(rng, **words):
    parts = []
    for section in range(1, 4):
        parts.append(f"## Section {section}\n")
        for _ in range(3):
            parts.append(
                " ".join(sentence(rng, **words) for _ in range(4))
                + f"[^{rng.randint(1, 5)}]\n"
            )
    parts.append("".join(f"[^{n}]" for n in range(1, 6)))
    return "\n".join(parts)


def translations(rng, number):
    """The story's title, summary and body in each translated language."""
    fields = {}
    for code, text in TRANSLATED_WORDS.items():
        words = {
            "words": text.split(),
            "separator": "" if code in UNSPACED else " ",
        }
        suffix = code.replace("-", "_")
        fields[f"title_{suffix}"] = f"{number}: {sentence(rng, 5, **words)[:-1]}"
        fields[f"summary_{suffix}"] = sentence(rng, 20, **words)
        fields[f"body_{suffix}"] = body(rng, **words)
    return fields


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
                    **translations(rng, number),
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
