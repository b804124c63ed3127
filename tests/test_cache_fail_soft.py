import logging

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.urls import reverse

from credit_portal.cache import FailSoftRedisCache
from tests.faults.harness import free_port


def _down_cache():
    return FailSoftRedisCache(f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})


def test_cache_with_redis_down_misses_instead_of_failing():
    cache = _down_cache()
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.add("k", 1) is False and cache.get_many(["a", "b"]) == {} and cache.has_key("k") is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert isinstance(cache, RedisCache)


def test_counters_fail_open_and_say_so(caplog):
    cache = _down_cache()
    with caplog.at_level(logging.WARNING, logger="credit_portal.cache"):
        assert cache.incr("hits") == 1 and cache.incr("hits", 5) == 5 and cache.decr("hits") == -1
    assert "限流计数暂停" in caplog.text


def test_no_private_client_class_swap():
    # The wrapper works through the cache's public methods only.
    assert "_class" not in vars(FailSoftRedisCache)


@pytest.mark.parametrize(
    "path", ["portal:search", "portal:profile", "reports:verify", "reports:issue"], ids=lambda p: p.split(":")[1]
)
def test_rate_limited_pages_answer_with_redis_down(db, settings, monkeypatch, caplog, path):
    """django-ratelimit counts with add + incr; with Redis stopped the page still answers (not a 500)."""
    from apps.subjects.choices import SubjectKind
    from apps.subjects.models import Subject

    down = _down_cache()
    monkeypatch.setattr("django_ratelimit.core.caches", {"default": down})
    settings.PORTAL_RATE_SEARCH = settings.PORTAL_RATE_PROFILE = settings.PORTAL_RATE_VERIFY = "1/m"
    settings.PORTAL_RATE_REPORT = "1/m"
    subject = Subject.objects.create(name="乳山市测试商贸有限公司", kind=SubjectKind.LEGAL, uscc="91371083MA3D00011X")
    client = Client()
    url, method, data = {
        "portal:search": (reverse("portal:search"), "get", {"q": "测试"}),
        "portal:profile": (reverse("portal:profile", args=[subject.pk]), "get", {}),
        "reports:verify": (reverse("reports:verify"), "get", {"number": "X", "code": "Y"}),
        "reports:issue": (reverse("reports:issue", args=[subject.pk]), "post", {"kind": "x"}),
    }[path]
    with caplog.at_level(logging.WARNING, logger="credit_portal.cache"):
        statuses = [getattr(client, method)(url, data).status_code for _ in range(3)]
    assert 500 not in statuses and 429 not in statuses, statuses
    assert "限流计数暂停" in caplog.text
