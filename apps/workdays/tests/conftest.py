import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # The public deadline endpoint is rate-limited per address through the
    # cache; every test client comes from 127.0.0.1, so start each test clean.
    cache.clear()
    yield
    cache.clear()
