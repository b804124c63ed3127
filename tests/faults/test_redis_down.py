"""Redis stopped while the portal serves pages and accepts forms.

Public pages, sign-in and record forms need only PostgreSQL and keep working;
the health check reports the cache as down; an upload whose import cannot be
queued is marked failed with a message the clerk sees (never left "queued"
for ever); when Redis returns, queueing works again without restarting the portal.
"""

import re
import time

import pytest
import requests

from .conftest import PASSWORD

pytestmark = [pytest.mark.fault]

PUBLIC = [
    "/",
    "/publicity/",
    "/lists/public/",
    "/accounts/login/",
    "/accounts/register/",
    "/api/v1/departments/",
    "/api/v1/subjects/validate-code/?code=91371083MA3D00011X",
    "/api/v1/workdays/deadline/?start=2024-10-08&days=7",
]
RATE_LIMITED = [
    "/search/?q=%E4%B9%B3%E5%B1%B1",
    "/reports/verify/?number=X&code=Y",
    "/api/v1/reports/verify/?number=X&code=Y",
]


def _csrf(session, base, path):
    page = session.get(base + path, timeout=10)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    return match.group(1) if match else session.cookies.get("csrftoken")


def _login(base):
    session = requests.Session()
    token = _csrf(session, base, "/accounts/login/")
    response = session.post(
        base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "clerk_a", "password": PASSWORD},
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def _upload(session, base, path):
    token = _csrf(session, base, "/records/uploads/new/")
    with open(path, "rb") as handle:
        response = session.post(
            base + "/records/uploads/new/",
            data={"csrfmiddlewaretoken": token, "record_type": "penalty"},
            files={
                "file": ("penalty.xlsx", handle, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            },
            timeout=30,
            allow_redirects=False,
        )
    assert response.status_code == 302, response.text[:2000]
    return response.headers["Location"]


def _record_form(session, base, n):
    token = _csrf(session, base, "/records/new/penalty/")
    data = {
        "csrfmiddlewaretoken": token,
        "submit": "",
        "CF_XDR_MC": f"乳山市故障测试商贸有限公司{n}",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": _uscc(n),
        "CF_FRDB": "张伟",
        "CF_WSH": f"乳市监罚〔2024〕9{n:03d}号",
        "CF_WFXW": "销售不合格产品",
        "CF_SY": "经查，当事人销售的产品经抽检不合格。",
        "CF_YJ": "《中华人民共和国产品质量法》第四十九条",
        "CF_CFLB": ["罚款"],
        "CF_NR": "罚款人民币5000元。",
        "CF_NR_FK": "0.5",
        "CF_JDRQ": "2024-09-27",
        "CF_CFJG": "乳山市市场监督管理局",
        "CF_CFJGDM": "11371083MB1234562X",
        "CF_SJLY": "乳山市市场监督管理局",
        "CF_SJLYDM": "11371083MB1234562X",
    }
    return session.post(base + "/records/new/penalty/", data=data, timeout=30, allow_redirects=False)


def _uscc(n):
    from apps.subjects.codes import build_uscc

    return build_uscc("91", "371083", f"MA3G{n:04d}")


def test_redis_down_pages_and_forms_keep_working(stack):
    portal, redis, base = stack["portal"], stack["redis"], stack["portal"].base
    assert portal.get("/healthz/")[0] == 200
    session = _login(base)
    redis.stop()
    try:
        started = time.monotonic()
        for path in PUBLIC:
            status, body = portal.get(path)
            assert status == 200, f"{path}: {status} {body[:300]!r}"
        # Rate-limited pages count in Redis: with it gone they fail open (logged), never 500.
        subject_pk = (stack["dir"] / "subject_pk").read_text()
        for path in RATE_LIMITED + [f"/profile/{subject_pk}/"]:
            for _ in range(3):
                status, body = portal.get(path)
                assert status in (200, 404), f"{path}: {status} {body[:300]!r}"  # an unknown report: 404
        token = _csrf(session, base, f"/profile/{subject_pk}/")
        issued = session.post(
            base + f"/reports/issue/{subject_pk}/",
            data={"csrfmiddlewaretoken": token, "kind": "standard", "purpose": "bidding"},
            timeout=30,
            allow_redirects=False,
        )
        assert issued.status_code in (200, 302), issued.text[:500]
        health_status, health = portal.get("/healthz/")
        assert health_status == 503 and b'"cache": "error' in health  # the outage is visible to monitoring
        # Sign-in and forms: PostgreSQL only.
        assert _login(base)
        saved = _record_form(session, base, 1)
        assert saved.status_code == 302 and re.search(r"/records/\d+/$", saved.headers["Location"]), saved.text[:2000]
        # Queued work: the import cannot be queued, and the clerk is told so.
        detail = _upload(session, base, stack["dir"] / "upload1.xlsx")
        page = session.get(base + detail, timeout=10).text
        assert "任务队列暂时不可用" in page, page[:3000]
        elapsed = time.monotonic() - started
        assert elapsed < 60, f"requests hung while Redis was down ({elapsed:.0f}s)"
    finally:
        redis.start()
    # Redis is back: no restart of the portal needed.
    deadline = time.monotonic() + 20
    while portal.get("/healthz/")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert portal.get("/healthz/")[0] == 200
    detail = _upload(session, base, stack["dir"] / "upload2.xlsx")
    page = session.get(base + detail, timeout=10).text
    assert "任务队列暂时不可用" not in page  # queued for the (absent) worker this time
