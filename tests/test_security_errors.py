"""
While the database cannot be reached, readers get a plain 503 page with
Retry-After; any other fault is a plain 500. Neither page needs the database
nor shows anything of the fault.
"""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from ports.reader import page_data


@pytest.fixture
def reader():
    return Client(raise_request_exception=False)


def fail_with(error):
    def broken(*args, **kwargs):
        raise error("connection to server at 127.0.0.1 failed: secret detail")

    return broken


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_database_away_is_a_plain_503(reader, db, monkeypatch, error):
    monkeypatch.setattr(page_data, "listing_moments", fail_with(error))
    response = reader.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Briefly unavailable" in body
    assert "secret detail" not in body
    assert "127.0.0.1" not in body
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_other_faults_are_a_plain_500(reader, db, monkeypatch):
    monkeypatch.setattr(page_data, "listing_moments", fail_with(RuntimeError))
    response = reader.get("/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Server error" in body
    assert "secret detail" not in body
    assert "Retry-After" not in response
