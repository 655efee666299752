from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language

from .pages import NotAPort, port_page


def port_detail(request, number):
    try:
        page = port_page(number, language=get_language())
    except NotAPort:
        raise Http404("No such port number.") from None
    return render(request, "ports/port_detail.html", {"page": page})
