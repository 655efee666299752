import pytest
from django.db import IntegrityError, transaction

from ports.choices import AssignmentStatus, RangeClass
from ports.models import Assignment, Port
from tests.factories import make_port

pytestmark = pytest.mark.django_db


def make_assignment(**fields):
    fields.setdefault(
        "registry_key", f"test|{fields.get('port_low')}|{fields.get('port_high')}"
    )
    return Assignment.objects.create(**fields)


@pytest.mark.parametrize("number", [-1, 65536, 70000])
def test_database_rejects_port_numbers_outside_0_to_65535(number):
    with pytest.raises(IntegrityError), transaction.atomic():
        Port.objects.create(number=number)


@pytest.mark.parametrize(
    ("number", "range_class"),
    [
        (0, RangeClass.SYSTEM),
        (1023, RangeClass.SYSTEM),
        (1024, RangeClass.USER),
        (49151, RangeClass.USER),
        (49152, RangeClass.DYNAMIC),
        (65535, RangeClass.DYNAMIC),
    ],
)
def test_range_class_is_computed_by_the_database(number, range_class):
    make_port(number)
    assert Port.objects.get(number=number).range_class == range_class


@pytest.mark.parametrize(
    ("low", "high"),
    [(10, 5), (-1, 4), (6000, 65536), (5, None), (None, 5)],
)
def test_database_rejects_invalid_assignment_ranges(low, high):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_assignment(port_low=low, port_high=high, transport="tcp")


def test_database_rejects_unknown_transport():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_assignment(port_low=80, port_high=80, transport="icmp")


def test_withdrawn_assignment_needs_a_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_assignment(port_low=80, port_high=80, status=AssignmentStatus.WITHDRAWN)


def test_range_assignment_covers_every_port_in_it():
    x11 = make_assignment(
        service_name="x11", port_low=6000, port_high=6063, transport="tcp"
    )
    single = make_assignment(service_name="other", port_low=6001, port_high=6001)
    for number in (6000, 6001, 6032, 6063):
        assert x11 in Assignment.objects.covering(number)
    assert set(Assignment.objects.covering(6001)) == {x11, single}
    assert not Assignment.objects.covering(5999).exists()
    assert not Assignment.objects.covering(6064).exists()


def test_port_lookup_uses_the_range_index(django_assert_num_queries):
    make_assignment(service_name="x11", port_low=6000, port_high=6063, transport="tcp")
    query = str(Assignment.objects.covering(6001).query)
    assert '"port_low" <=' in query and '"port_high" >=' in query
    with django_assert_num_queries(1):
        list(Assignment.objects.covering(6001))
