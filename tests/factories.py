"""Small functions that build test data. Each returns saved objects."""

import itertools

from ports.editorial import actions
from ports.models import FAQ, Citation, Port, RelatedPort, Story

_counter = itertools.count(1)


def make_port(number):
    return Port.objects.get_or_create(number=number)[0]


def make_story(
    number=None, *, title=None, body="Body text.[^1]", summary="A summary.", **fields
):
    number = number if number is not None else 20000 + next(_counter)
    story = Story.objects.create(
        port=make_port(number),
        title=title or f"Story of port {number}",
        summary=summary,
        body=body,
        **fields,
    )
    return story


def make_citation(story, position=1, **fields):
    fields.setdefault("title", f"Source {position}")
    fields.setdefault("url", f"https://example.org/source/{position}")
    return Citation.objects.create(story=story, position=position, **fields)


def make_faq(story, position=1, **fields):
    fields.setdefault("question", f"Question {position}?")
    fields.setdefault("answer", f"Answer {position}.")
    return FAQ.objects.create(story=story, position=position, **fields)


def make_related(story, number, note=""):
    return RelatedPort.objects.create(story=story, port=make_port(number), note=note)


def make_published_story(number=None, **fields):
    story = make_story(number, **fields)
    make_citation(story)
    make_faq(story)
    return actions.story_publish(story=story, by=None)


def registry_csv(*rows, header=None):
    """An IANA-format CSV as bytes; each row is a 12-item sequence or a str line."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        header
        or [
            "Service Name",
            "Port Number",
            "Transport Protocol",
            "Description",
            "Assignee",
            "Contact",
            "Registration Date",
            "Modification Date",
            "Reference",
            "Service Code",
            "Unauthorized Use Reported",
            "Assignment Notes",
        ]
    )
    for row in rows:
        if isinstance(row, str):
            out.write(row + "\r\n")
        else:
            row = list(row) + [""] * (12 - len(row))
            writer.writerow(row)
    return out.getvalue().encode()


def make_user(username, *, role=None, password="pw-for-tests-1", **fields):
    """A staff user in the named role group (Editor, Reviewer, Registry manager)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    fields.setdefault("is_staff", True)
    user = get_user_model().objects.create_user(
        username=username, password=password, **fields
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def admin_form_data(response):
    """
    The POST data an admin change form would send as rendered: the main
    form and every inline formset, with their current values.
    """
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def make_assignment(service_name, port_low, port_high=None, transport="tcp", **fields):
    """A registry assignment as an import would store it (status from the name)."""
    from ports.models import Assignment
    from ports.registry import iana_csv

    values = {
        "service_name": service_name,
        "transport": transport,
        "port_low": port_low,
        "port_high": port_low if port_high is None else port_high,
        "description": fields.pop("description", service_name),
        **fields,
    }
    values.setdefault(
        "status", iana_csv.status_for(service_name, values["description"])
    )
    return Assignment.objects.create(
        registry_key=iana_csv.natural_key(values), **values
    )
