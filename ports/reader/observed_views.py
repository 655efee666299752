"""
The observed-data pages: the most often open ports and the free-port finder
(HTML, or JSON with ?format=json). Thin views over ports.reader.observed and
ports.reader.free_ports, shared with caches and purged as listings are: an
observed-data or registry import, or a story going live, changes them.
"""

from django import forms
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from ports.choices import PORT_MAX, Transport
from ports.models.observed import OBSERVED_TRANSPORTS
from ports.reader import free_ports, observed
from ports.reader.views import share_listing

TRANSPORT_CHOICES = [(value, Transport(value).label) for value in OBSERVED_TRANSPORTS]
# Port 0 is no port a service can listen on.
FIRST_FREE_PORT = 1


def _number(label, *, minimum, maximum, too_low, too_high):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=minimum,
        max_value=maximum,
        error_messages={
            "invalid": _("Enter a whole number."),
            "min_value": too_low,
            "max_value": too_high,
        },
    )


def _transport_field():
    return forms.ChoiceField(
        label=_("Transport"),
        required=False,
        choices=TRANSPORT_CHOICES,
        error_messages={
            "invalid_choice": _("Choose TCP, UDP, SCTP or DCCP."),
        },
    )


class TopOpenForm(forms.Form):
    transport = _transport_field()
    top = _number(
        _("How many"),
        minimum=1,
        maximum=observed.TOP_MAX,
        too_low=_("Ask for at least one port."),
        too_high=_("At most %(limit_value)s ports are listed."),
    )


class FreePortForm(forms.Form):
    low = _number(
        _("From port"),
        minimum=FIRST_FREE_PORT,
        maximum=PORT_MAX,
        too_low=_("Ports start at %(limit_value)s."),
        too_high=_("Ports end at %(limit_value)s."),
    )
    high = _number(
        _("To port"),
        minimum=FIRST_FREE_PORT,
        maximum=PORT_MAX,
        too_low=_("Ports start at %(limit_value)s."),
        too_high=_("Ports end at %(limit_value)s."),
    )
    transport = _transport_field()
    count = _number(
        _("How many"),
        minimum=1,
        maximum=free_ports.MAX_COUNT,
        too_low=_("Ask for at least one port."),
        too_high=_("At most %(limit_value)s ports can be asked for at once."),
    )
    format = forms.ChoiceField(
        required=False,
        choices=[("html", "HTML"), ("json", "JSON")],
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("The format is html or json.")},
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("low"), data.get("high")
        for name, default in (
            ("low", free_ports.DEFAULT_RANGE[0]),
            ("high", free_ports.DEFAULT_RANGE[1]),
            ("transport", free_ports.DEFAULT_TRANSPORT),
            ("count", free_ports.DEFAULT_COUNT),
        ):
            if data.get(name) in (None, "") and name not in self.errors:
                data[name] = default
        low, high = data.get("low"), data.get("high")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(
                _("The range's first port (%(low)s) is above its last (%(high)s)."),
                params={"low": low, "high": high},
                code="range",
            )
        return data


def _errors(form):
    return {
        name if name != "__all__" else "range": [str(error) for error in errors]
        for name, errors in form.errors.items()
    }


@require_safe
def top_open(request):
    form = TopOpenForm(request.GET)
    if not form.is_valid():
        return render(request, "ports/top_open.html", {"form": form}, status=400)
    transport = form.cleaned_data["transport"] or "tcp"
    top = form.cleaned_data["top"] or observed.TOP_DEFAULT
    source, ports = observed.top_open(transport, top)
    context = {
        "form": TopOpenForm(initial={"transport": transport, "top": top}),
        "transport": transport,
        "transport_label": Transport(transport).label,
        "top": top,
        "source": source,
        "ports": ports,
    }
    return share_listing(request, render(request, "ports/top_open.html", context))


@require_safe
def free_port(request):
    form = FreePortForm(request.GET)
    wants_json = request.GET.get("format") == "json"
    if not form.is_valid():
        if wants_json:
            return JsonResponse({"errors": _errors(form)}, status=400)
        return render(request, "ports/free_port.html", {"form": form}, status=400)
    data = form.cleaned_data
    found = free_ports.find_free_ports(
        low=data["low"],
        high=data["high"],
        transport=data["transport"],
        count=data["count"],
    )
    if wants_json:
        response = JsonResponse(found.as_dict(), json_dumps_params={"indent": 1})
    else:
        query = {
            name: value
            for name in ("low", "high", "transport", "count")
            if (value := request.GET.get(name))
        }
        shown = FreePortForm(initial={**data, "format": ""})
        context = {"form": shown, "found": found, "query": query}
        response = render(request, "ports/free_port.html", context)
    return share_listing(request, response)
