import pytest


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Claim rate-limit counters live in the shared cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
