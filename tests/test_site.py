import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/departments/" in paths
    assert "ApiKeyAuth" in schema.json()["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from the sidecar package, served locally.
    assert "/static/drf_spectacular_sidecar/" in docs.content.decode()


def test_no_page_loads_assets_from_another_host(client):
    for template in ROOT.joinpath("templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), template


def test_home_page_is_chinese_and_local(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "/static/css/site.css" in html


def test_health_endpoint_reports_database_and_cache(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}
