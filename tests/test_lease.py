"""The dispatcher's lease: one holder at a time, by the database's clock."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Lease

pytestmark = pytest.mark.django_db


def test_one_holder_at_a_time_until_it_lets_go():
    assert Lease.acquire("dispatcher", "a", ttl=30)
    assert not Lease.acquire("dispatcher", "b", ttl=30)
    assert Lease.acquire("dispatcher", "a", ttl=30)  # renewing
    assert Lease.is_held("dispatcher")

    Lease.release("dispatcher", "a")

    assert not Lease.is_held("dispatcher")
    assert Lease.acquire("dispatcher", "b", ttl=30)


def test_a_lease_its_holder_stopped_renewing_passes_to_another():
    assert Lease.acquire("dispatcher", "a", ttl=0.3)
    assert not Lease.acquire("dispatcher", "b", ttl=30)
    time.sleep(0.5)  # the holder died

    assert not Lease.is_held("dispatcher")
    assert Lease.acquire("dispatcher", "b", ttl=30)
    assert not Lease.acquire("dispatcher", "a", ttl=30)


def test_a_machine_whose_clock_runs_ahead_does_not_take_a_live_lease(monkeypatch):
    assert Lease.acquire("dispatcher", "a", ttl=30)
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: later)  # this machine's clock

    assert not Lease.acquire("dispatcher", "b", ttl=30)
    assert Lease.is_held("dispatcher")
