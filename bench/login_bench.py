"""Server time of a login POST (issue 16 item 11: under 300 ms), per stored hash kind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/credit_bench .venv/bin/python bench/login_bench.py

Times the whole request inside the process (Django test client: middleware, axes, the hasher,
session write, redirect), so network and browser time are left out. A warm-up request first,
then the median of ``--repeat`` logins for a user whose password is stored with the first hasher
of PASSWORD_HASHERS (what every new or upgraded account has), and for one still stored as PBKDF2
(an account from before the switch: its first login verifies PBKDF2 once and re-hashes).
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchlib import setup_django  # noqa: E402

USERNAME = "bench_login"
PASSWORD = "Bench-login-2024!"  # noqa: S105 — a throwaway account deleted at the end


def _time_logins(client_class, repeat: int, before=None) -> list[float]:
    times = []
    for _ in range(repeat):
        if before:
            before()
        client = client_class()
        start = time.perf_counter()
        response = client.post("/accounts/login/", {"username": USERNAME, "password": PASSWORD})
        times.append(time.perf_counter() - start)
        if response.status_code != 302:
            raise SystemExit(f"login failed: HTTP {response.status_code}")
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--first",
        help="hasher class to put first for this run (e.g. django.contrib.auth.hashers.PBKDF2PasswordHasher "
        "for the figure before the switch); default: PASSWORD_HASHERS as configured",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/credit_bench"
    setup_django(url, RATELIMIT_ENABLE="false")

    from django.conf import settings
    from django.contrib.auth.hashers import get_hasher, make_password
    from django.test import Client, override_settings

    from apps.accounts.choices import Role
    from apps.accounts.models import User

    if args.first:  # the setting_changed signal empties Django's cached hasher list
        override_settings(PASSWORD_HASHERS=[args.first, *settings.PASSWORD_HASHERS]).enable()
    User.objects.filter(username=USERNAME).delete()
    user = User(username=USERNAME, role=Role.CENTER, full_name="登录计时")
    user.set_password(PASSWORD)
    user.save()
    first = get_hasher("default").algorithm
    print(f"PASSWORD_HASHERS[0] = {settings.PASSWORD_HASHERS[0]}")
    try:
        _time_logins(Client, 1)  # warm-up: imports, URL resolver, first connection
        times = _time_logins(Client, args.repeat)
        print(f"login POST, hash {first}: median {statistics.median(times) * 1000:.0f} ms over {args.repeat}")

        pbkdf2 = make_password(PASSWORD, hasher="pbkdf2_sha256")

        def store_pbkdf2():
            User.objects.filter(pk=user.pk).update(password=pbkdf2)

        times = _time_logins(Client, args.repeat, before=store_pbkdf2)
        after = User.objects.get(pk=user.pk).password.split("$", 1)[0]
        print(
            f"login POST, hash pbkdf2_sha256 (first login after the switch): median "
            f"{statistics.median(times) * 1000:.0f} ms over {args.repeat}; stored afterwards as {after}"
        )
    finally:
        User.objects.filter(username=USERNAME).delete()


if __name__ == "__main__":
    main()
