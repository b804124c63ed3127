"""DATABASE_REPLICA_URL in settings: the replica alias, its router and middleware, and what it refuses.
Fast (a manage.py subprocess each); the real primary + standby pair is in test_replica.py."""

import json

from tests.test_settings import _manage

PRIMARY = "postgres://credit@127.0.0.1:5432/credit"
REPLICA = "postgres://credit@127.0.0.1:5433/credit"
SHOW = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': s.DATABASE_ROUTERS, "
    "'replica': {k: s.DATABASES['replica'][k] for k in ('PORT', 'OPTIONS', 'TEST', 'CONN_HEALTH_CHECKS')} "
    "if 'replica' in s.DATABASES else None}))"
)


def _settings(env):
    result = _manage("shell", "-c", SHOW, env_overrides=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_replica_url_there_is_no_replica_and_no_router():
    shown = _settings({"DATABASE_URL": PRIMARY, "REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert shown == {"aliases": ["default"], "routers": [], "replica": None}


def test_a_replica_url_adds_the_alias_with_the_primarys_options_and_a_short_connect_timeout():
    shown = _settings(
        {
            "DATABASE_URL": PRIMARY,
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "DATABASE_REPLICA_URL": REPLICA,
            "DB_REPLICA_CONNECT_TIMEOUT": "3",
        }
    )
    assert shown["aliases"] == ["default", "replica"]
    assert shown["routers"] == ["credit_portal.db_router.PublicReadRouter"]
    replica = shown["replica"]
    assert replica["PORT"] == 5433 and replica["CONN_HEALTH_CHECKS"] is True
    assert replica["OPTIONS"] == {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "options": "-c plan_cache_mode=force_custom_plan",
        "connect_timeout": 3,
    }
    assert replica["TEST"]["MIRROR"] == "default"  # tests create no second database


def test_a_replica_needs_postgresql_and_redis():
    # The fence and the "replica down" flag are shared between processes through Redis.
    for env in ({"DATABASE_URL": PRIMARY}, {"REDIS_URL": "redis://127.0.0.1:6379/3"}):
        result = _manage("check", env_overrides=env | {"DATABASE_REPLICA_URL": REPLICA})
        assert result.returncode != 0
        assert "DATABASE_REPLICA_URL" in result.stderr
