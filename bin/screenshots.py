"""Regenerate the README's screenshots (docs/screenshots/) of the home, search, profile and dashboard pages.

    bin/screenshots                            # temporary SQLite portal with the demo data, then screenshots
    bin/screenshots --url http://127.0.0.1:8000  # a running portal that holds the demo data (bin/dev)

Each page is shot at 1280 px (desktop) and 390 px (phone), viewport-sized PNGs so the files stay
small. The dashboard is the credit center's 考核指标 page, signed in with the demo account center1.
Uses Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) like the browser tests.
"""

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
DEMO_PASSWORD = "Demo@2024credit"  # noqa: S105 — seed_demo's printed demo password
DEMO_ENTERPRISE = "乳山市银滩海洋食品有限公司"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def demo_server():
    """migrate + seed_demo into a throw-away SQLite file, then runserver on a free port."""
    workdir = Path(tempfile.mkdtemp(prefix="screenshots-"))
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_ENV="development",
        RATELIMIT_ENABLE="false",
        PRIVATE_MEDIA_ROOT=str(workdir / "private"),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    try:
        print("准备演示数据（SQLite，临时目录）…", flush=True)
        # Our own manage.py with fixed arguments: nothing here comes from outside.
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)  # noqa: S603
        seed = [*manage, "seed_demo", "--subjects", "600"]
        subprocess.run(seed, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"{url}/healthz/", timeout=2)  # noqa: S310 — our own local server
                    break
                time.sleep(0.5)
            else:
                raise SystemExit("临时服务未能启动")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def shoot(url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        for device, viewport in WIDTHS.items():
            context = browser.new_context(
                base_url=url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1
            )
            page = context.new_page()

            def save(name, page=page, device=device):
                page.wait_for_load_state("networkidle")
                path = out / f"{name}-{device}.png"
                page.screenshot(path=str(path))
                written.append(path)

            page.goto("/")
            save("home")
            page.goto("/search/?q=银滩")
            save("search")
            page.get_by_role("link", name=DEMO_ENTERPRISE).first.click()
            page.get_by_role("heading", name=DEMO_ENTERPRISE).wait_for()
            save("profile")
            page.goto("/accounts/login/")
            page.get_by_label("用户名").fill("center1")
            page.get_by_label("密码").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url("**/accounts/")
            page.goto("/monitoring/dashboard/")
            with contextlib.suppress(Exception):  # no trend yet on a fresh database: the page is still worth a shot
                page.locator(".trend-chart svg").first.wait_for(timeout=5000)
            save("dashboard")
            context.close()
        browser.close()
    return written


def main():
    parser = argparse.ArgumentParser(description="重新生成 docs/screenshots/ 中的页面截图（电脑 1280 px、手机 390 px）")
    parser.add_argument("--url", help="已有演示数据的门户地址；不给则用 SQLite 临时启动一个")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="输出目录")
    args = parser.parse_args()
    if args.url:
        written = shoot(args.url.rstrip("/"), Path(args.out))
    else:
        with demo_server() as url:
            written = shoot(url, Path(args.out))
    for path in written:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
