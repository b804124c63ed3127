from apps.portal.tests.conftest import county, fresh_rate_limits, frozen  # noqa: F401 — shared fixtures
