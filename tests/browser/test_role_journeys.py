"""Must-show journeys (issue 16): every role walks its main path on the demo data, at 1280 and 390 px.

The demo data is what ``bin/dev`` loads (``manage.py seed_demo``, with fewer random subjects), so the
journeys are the ones a new user takes on the demo. The table ``JOURNEYS`` says, per role, which
pages and actions make up its main path; staff and subject accounts also open every entry of their
main navigation. One checker looks at every page reached and the test fails, listing every
finding at once, on:

- a console error or an uncaught script error (a missing asset, a broken script) and any
  Content-Security-Policy violation (also a console error);
- an English framework page: Django's debug or technical pages, DRF's browsable API, Swagger,
  Django's plain "Not Found" / "Forbidden" / "Server Error (500)" answers;
- a raw status code shown as the page ("403 Forbidden");
- a site name taken from the host (127.0.0.1, localhost, the live server's address) in the title,
  header or footer, or a header without the configured SITE_NAME;
- an answer with another status than the step expects (a page of the main path that 404s is broken
  even when the 404 is in Chinese);
- on the public pages, anything wider than the 390 px phone (horizontal scrolling).

One browser for the whole test and one login per role per width keep it to a couple of minutes.
"""

import datetime
import re
import time
from dataclasses import dataclass, field
from io import StringIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from apps.portal.demo_fixed import DEMO_ENTERPRISE
from apps.portal.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# A Monday inside chinesecalendar's years: the demo's dates (all relative to today) are then the same
# on every run; tick=True so the server's clock still moves (sessions, rate windows).
FROZEN = datetime.datetime(2026, 11, 16, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
DEMO_SUBJECTS = 300
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}

# Text of framework pages a user must never land on (checked in the title and the page text).
FRAMEWORK_TEXT = [
    "Django REST framework",
    "Api Root",
    "Swagger",
    "ReDoc",
    "Page not found",
    "Not Found",
    "Forbidden",
    "Server Error (500)",
    "Bad Request (400)",
    "Traceback",
    "Using the URLconf",
    "DisallowedHost",
    "CSRF verification failed",
    "Django administration",
    "Django site admin",
]
# Framework pages recognised by their markup: Swagger UI, ReDoc, DRF's browsable API, Django's debug pages.
FRAMEWORK_SELECTORS = [".swagger-ui", "redoc", "#swagger-ui", ".response-info", "#traceback", "#technical-404"]
# "403 Forbidden", "404 Not Found", "500 Internal Server Error", "429 Too Many Requests" as the page.
RAW_STATUS = re.compile(r"\b[45]\d\d\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\b")
# Links not to follow while sweeping a page: downloads, logout, switches that change data.
SKIP_HREF = re.compile(r"(\.pdf$|/pdf/|/download/|/export/.+|\.xlsx$|\.csv$|/logout/|^mailto:|^tel:|^#)")


@dataclass
class Step:
    """One page of a journey: open ``path``, then run ``act`` on it if given; expect ``status``.

    ``text`` must then be on the page; ``sweep`` also opens every link found in the ``sweep`` CSS
    selector of the page (the main navigation, the home page's columns).
    """

    label: str
    path: str = ""
    act: object = None
    status: int = 200
    text: str = ""
    sweep: str = ""


@dataclass
class Journey:
    username: str | None
    steps: list[Step] = field(default_factory=list)
    public: bool = False  # public pages must fit the phone without horizontal scrolling


def _search_and_open_profile(page):
    page.goto("/")
    box = page.get_by_label("主体名称或统一社会信用代码").first
    box.fill("银滩海洋")
    box.press("Enter")
    page.wait_for_load_state()
    page.get_by_role("link", name=DEMO_ENTERPRISE).first.click()
    page.get_by_role("heading", name=DEMO_ENTERPRISE).wait_for()


def _issue_report_and_verify(page):
    page.get_by_label("报告用途").select_option(index=1)
    page.get_by_role("button", name="生成信用报告").click()
    page.get_by_role("heading", name="信用报告已生成").wait_for()
    number = page.locator("#report-number").inner_text().strip()
    code = page.locator("#report-code").inner_text().strip()
    page.goto("/reports/verify/")
    page.get_by_label("报告编号").fill(number)
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="验证").click()
    page.locator('#verify-result[data-status="verified"]').wait_for()


def _credit_check(page):
    """逢办必查: the clerk checks the demo enterprise before handling a matter for it."""
    form = page.locator("#check-form")
    form.get_by_label("主体代码或名称").fill(DEMO_ENTERPRISE)
    form.get_by_label("办理事项").select_option(index=1)
    with page.expect_navigation():
        form.get_by_role("button", name="核查").click()


def _approve_first_in_queue(page):
    """The reviewer follows the 工作台 count to the queue, opens a waiting record and approves it."""
    with page.expect_navigation():
        page.locator("#review-queue a").click()
    with page.expect_navigation():
        page.locator("main table a[href^='/records/'][href$='/']").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="审核通过").click()


def _first_link(selector):
    def act(page):
        href = page.locator(selector).first.get_attribute("href")
        return page.goto(href)

    return act


def _submit(button, **fields):
    """Fill the labelled fields, press ``button`` and wait for the answer page."""

    def act(page):
        main = page.locator("main")
        for label, value in fields.items():
            main.get_by_label(label).fill(value)
        with page.expect_navigation():
            main.get_by_role("button", name=button, exact=True).click()

    return act


NAV = "nav.main-nav a"
JOURNEYS = {
    "公众": Journey(
        None,
        public=True,
        steps=[
            Step("首页及其栏目链接", "/", sweep="header a, main a"),
            # The profile's own links too: its records, the public 评价模型 page, the report form.
            Step("查询并打开主体信用档案", act=_search_and_open_profile, text="行政处罚", sweep="main a"),
            Step("生成信用报告并验证", act=_issue_report_and_verify, text="验证通过"),
            Step(
                "双公示详情", "/publicity/", act=_first_link("main a[href^='/publicity/'][href$='/']"), sweep="main a"
            ),
            Step("名单详情", "/lists/public/", act=_first_link("main a[href^='/lists/public/'][href$='/']")),
            Step("部门目录", "/departments/"),
            Step("代码校验", "/tools/code-check/"),
            Step("工作日计算", "/tools/deadline/"),
            Step(
                "异议查询（编号错误）",
                "/repair/objections/lookup/",
                act=_submit("查询", 异议编号="YY000000000000", 查询码="ABCDEF"),
                text="编号或查询码不正确",
            ),
            Step("登录（密码错误）", "/accounts/login/", act=_submit("登录", 用户名="nobody", 密码="wrong-pass-1")),
            Step("主体注册", "/accounts/register/"),
            Step("不存在的页面", "/no-such-page/", status=404, text="页面不存在"),
        ],
    ),
    "企业账号": Journey(
        "qiye_demo",
        public=True,
        steps=[
            Step("工作台及导航", "/accounts/", sweep=NAV),
            Step("我的信用信息", "/repair/my/", text="行政处罚"),
        ],
    ),
    "个人账号": Journey("geren_demo", public=True, steps=[Step("工作台及导航", "/accounts/", sweep=NAV)]),
    "部门填报员": Journey(
        "scjgj_clerk",
        steps=[
            Step("工作台及导航", "/accounts/", sweep=NAV),
            Step("信用信息详情", "/records/", act=_first_link("main table a[href^='/records/'][href$='/']")),
            Step("新增信用信息", "/records/new/", sweep="main a[href^='/records/new/']"),
            Step("信用核查（逢办必查）", "/lists/checks/", act=_credit_check, text=DEMO_ENTERPRISE),
            # 市场监管局 has no 行政征收 power: a Chinese 403 inside the layout, with the reason.
            Step("无职权的信息类别", "/records/new/levy/", status=403, text="本部门不具有该类信息的报送职权"),
        ],
    ),
    "部门审核员": Journey(
        "scjgj_reviewer",
        steps=[
            Step("工作台及导航", "/accounts/", sweep=NAV),
            Step("审核队列", "/accounts/", act=_first_link("#review-queue a"), text="待部门审核"),
            Step("审核通过一条", "/accounts/", act=_approve_first_in_queue, text="操作成功"),
        ],
    ),
    "信用中心": Journey(
        "center1",
        steps=[
            Step("工作台及导航", "/accounts/", sweep=NAV),
            Step("信用主体详情", "/subjects/", act=_first_link("main table a[href^='/subjects/'][href$='/']")),
        ],
    ),
    "管理员": Journey(
        "admin",
        steps=[
            Step("工作台及导航", "/accounts/", sweep=NAV),
            Step("用户查询", "/accounts/users/?q=clerk"),
            Step("新建用户", "/accounts/users/new/"),
        ],
    ),
}


class Walker:
    """Drives one page through a journey and records what the checker finds on every page reached."""

    def __init__(self, page, where: str, *, forbidden_hosts, public: bool, phone: bool):
        self.page = page
        self.where = where
        self.forbidden_hosts = forbidden_hosts
        self.public = public
        self.phone = phone
        self.errors: list[str] = []
        self.findings: list[str] = []
        self.visited = 0
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def fail(self, label: str, problem: str):
        self.findings.append(f"[{self.where}] {label} ({urlsplit(self.page.url).path}): {problem}")

    def step(self, step: Step):
        response = self.page.goto(step.path) if step.path else None
        if step.act:
            response = step.act(self.page) or response
        self.check(step.label, response, step.status, step.text)
        if step.sweep:
            hrefs = self.page.eval_on_selector_all(step.sweep, "els => els.map(e => e.getAttribute('href'))")
            origin = self.page.url
            for href in dict.fromkeys(h for h in hrefs if h and h.startswith("/") and not SKIP_HREF.search(h)):
                self.check(f"{step.label} → {href}", self.page.goto(href), 200, "")
            self.page.goto(origin)  # the next step goes on from the page the links were on

    def check(self, label, response, status, text):
        self.visited += 1
        page = self.page
        page.wait_for_load_state("load")
        if response is not None and response.status != status:
            self.fail(label, f"HTTP {response.status}, expected {status}")
        title = page.title()
        body = page.locator("body").inner_text()
        header = page.locator("header").first.inner_text() if page.locator("header").count() else ""
        footer = page.locator("footer").first.inner_text() if page.locator("footer").count() else ""
        for bit in FRAMEWORK_TEXT:
            if bit in title or bit in body:
                self.fail(label, f"framework page text {bit!r}")
        for selector in FRAMEWORK_SELECTORS:
            if page.locator(selector).count():
                self.fail(label, f"framework page markup {selector!r}")
        raw = RAW_STATUS.search(title) or RAW_STATUS.search(body)
        if raw:
            self.fail(label, f"raw status {raw.group(0)!r}")
        for host in self.forbidden_hosts:
            for part, value in (("title", title), ("header", header), ("footer", footer)):
                if host in value:
                    self.fail(label, f"host {host!r} in the {part}")
        if settings.SITE_NAME not in title or settings.SITE_NAME not in header:
            self.fail(label, f"site name {settings.SITE_NAME!r} missing from title {title!r} or header")
        if text and text not in body:
            self.fail(label, f"expected text {text!r} not on the page")
        if self.phone and self.public:
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 391:
                self.fail(label, f"page {width} px wide on a 390 px phone")
        errors, self.errors[:] = list(self.errors), []
        if status != 200:  # Chromium logs the expected error status of the page itself
            errors = [e for e in errors if f"status of {status}" not in e]
        for error in errors:
            self.fail(label, f"console error: {error[:300]}")


def _login(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert urlsplit(page.url).path != "/accounts/login/", f"{username} could not sign in"


def test_every_role_walks_its_main_path_on_the_demo_data_at_desktop_and_phone_width(browser, live_server):
    with time_machine.travel(FROZEN, tick=True):
        started = time.monotonic()
        call_command("seed_demo", "--subjects", str(DEMO_SUBJECTS), stdout=StringIO())
        seeded = time.monotonic()
        netloc = urlsplit(live_server.url).netloc
        forbidden_hosts = {"127.0.0.1", "localhost", netloc}
        findings, visited = [], 0
        for width, viewport in WIDTHS.items():
            for role, journey in JOURNEYS.items():
                cache.clear()  # page rate limits count per client address: every journey starts afresh
                context = browser.new_context(
                    locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url, viewport=viewport
                )
                page = context.new_page()
                page.set_default_timeout(15000)
                walker = Walker(
                    page,
                    f"{role} {width}px",
                    forbidden_hosts=forbidden_hosts,
                    public=journey.public,
                    phone=width == "390",
                )
                try:
                    if journey.username:
                        _login(page, journey.username)
                    for step in journey.steps:
                        walker.step(step)
                except Exception as exc:  # a journey that cannot go on is a finding; the others still run
                    walker.fail("journey stopped", f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
                finally:
                    context.close()
                findings += walker.findings
                visited += walker.visited
    print(f"demo data {seeded - started:.0f} s; {visited} pages in {time.monotonic() - seeded:.0f} s")  # -s shows it
    assert visited > 100, visited  # the sweeps really walked the menus
    assert not findings, f"{len(findings)} problem(s) on {visited} pages:\n" + "\n".join(findings)


# --- the checker itself ---------------------------------------------------------------------------
CHECKER_HOST = "portal.test:8101"
PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'
GOOD = "<header>信用乳山公共信用信息平台</header><main><h1>{h1}</h1></main><footer>信用乳山</footer>"
# path: (status, title, body, what the checker must say); served by the browser itself, no server needed.
PLANTED = {
    "/host-title/": (
        200,
        f"登录 - {CHECKER_HOST}公共信用信息平台",
        f"<header>{CHECKER_HOST}公共信用信息平台</header>",
        "host",
    ),
    "/raw-403/": (403, "403 Forbidden", "<h1>403 Forbidden</h1>", "raw status"),
    "/inline-script/": (200, "信用乳山", GOOD.format(h1="首页") + "<script>1</script>", "console error"),
    "/swagger/": (200, "信用乳山 API", GOOD.format(h1="接口") + '<div class="swagger-ui"></div>', "swagger-ui"),
    "/drf/": (200, "信用乳山", GOOD.format(h1="Api Root") + "Django REST framework", "framework page"),
    "/wide/": (200, "信用乳山", GOOD.format(h1="宽") + '<div class="w"></div>', "390 px phone"),
    "/chinese-404/": (404, "页面不存在 - 信用乳山", GOOD.format(h1="页面不存在"), None),
}


def test_the_checker_catches_framework_pages_raw_codes_hosts_and_csp_violations(browser):
    """Each kind of failure the journeys look for, planted once: the checker must report every one
    (and nothing on a proper Chinese 404)."""
    context = browser.new_context(base_url=f"http://{CHECKER_HOST}", viewport=WIDTHS["390"])
    page = context.new_page()

    def serve(route, request):
        status, title, body, _ = PLANTED[urlsplit(request.url).path]
        route.fulfill(
            status=status,
            content_type="text/html",
            # The portal's own policy forbids inline script and style: the planted script must be refused.
            headers={"Content-Security-Policy": "script-src 'self'; style-src 'self' 'unsafe-inline'"},
            body=PAGE.format(title=title, body=body.replace('class="w"', 'style="width:800px;height:1px"')),
        )

    page.route("**/*", serve)
    walker = Walker(page, "自检", forbidden_hosts={"127.0.0.1", CHECKER_HOST}, public=True, phone=True)
    try:
        for path in PLANTED:
            walker.step(Step(path, path, status=200 if path != "/chinese-404/" else 404))
    finally:
        context.close()
    found = "\n".join(walker.findings)
    for path, (_status, _title, _body, kind) in PLANTED.items():
        mine = [f for f in walker.findings if f"({path})" in f]
        if kind is None:
            assert not mine, found
        else:
            assert any(kind in f for f in mine), (path, found)
    assert any("/raw-403/" in f and "HTTP 403, expected 200" in f for f in walker.findings), found
