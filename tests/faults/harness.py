"""Private services for fault tests and benchmarks: a Redis server, a PostgreSQL
cluster and the portal under gunicorn, each on a free loopback port in a temp
dir, started and stopped by process id. The machine's shared PostgreSQL and
Redis are never touched.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN_DIR") or "/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.2, what="service"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} did not come up within {timeout}s")


def _port_open(port) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def services_available() -> str | None:
    """Why the private services cannot run here (None when they can)."""
    if not shutil.which("redis-server"):
        return "redis-server not installed"
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN} (set PG_BIN_DIR)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' user to run initdb as"
    return None


class PrivateRedis:
    def __init__(self, workdir: Path):
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), what="private redis")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


class PrivatePostgres:
    """A throwaway cluster; initdb refuses root, so it runs as the 'postgres' user when we are root."""

    def __init__(self, workdir: Path, *, name="pg", settings=""):
        self.dir = workdir / name
        self.data = self.dir / "data"
        self.port = free_port()
        self.settings = settings  # extra "-c name=value" options, e.g. log_statement=all
        self.dir.mkdir(parents=True, exist_ok=True)
        self._as = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(workdir, 0o755)  # noqa: S103 — the postgres user must reach its data dir
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/credit"

    def _run(self, *args, check=True):
        return subprocess.run([*self._as, *args], capture_output=True, text=True, check=check, timeout=120)

    def init(self):
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.start()
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "credit")
        return self

    def start(self):
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "pg.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 {self.settings}",
            "start",
        )

    def stop(self, mode="fast"):
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self):
        self.stop()
        self.start()


class PrivateReplica(PrivatePostgres):
    """A hot standby of ``primary``: pg_basebackup -R (streaming, standby.signal), read-only queries served."""

    def __init__(self, workdir: Path, primary: PrivatePostgres, *, settings=""):
        super().__init__(workdir, name="pg-replica", settings=settings)
        self.primary = primary

    def init(self):
        self._run(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        self.start()
        return self

    def start(self):
        saved, self.settings = self.settings, f"{self.settings} -c hot_standby=on"
        try:
            super().start()
        finally:
            self.settings = saved


class Portal:
    """The portal under gunicorn against the private services."""

    def __init__(self, workdir: Path, *, database_url: str, redis_url: str, workers=2, extra_env=None):
        self.dir = workdir / "portal"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.workers = workers
        self.proc = None
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "CELERY_"))},
            "DJANGO_ENV": "test",
            "DEBUG": "0",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PRIVATE_MEDIA_ROOT": str(self.dir / "private"),
            "STATIC_ROOT": str(self.dir / "static"),
            "LOG_LEVEL": "WARNING",
            "API_ANON_RATE": "100000/min",
            **(extra_env or {}),
        }

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args, timeout=600):
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self, seed_script: str | None = None):
        self.manage("migrate", "--noinput")
        if seed_script:
            self.manage("shell", "-c", seed_script)
        return self

    def start(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = open(self.dir / "gunicorn.log", "ab")  # noqa: SIM115 — closed in stop()
        self.proc = subprocess.Popen(
            [
                str(gunicorn),
                "credit_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "--control-socket",
                str(self.dir / "gunicorn.ctl"),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        wait_for(lambda: self.get("/healthz/")[0] in (200, 503), timeout=60, what="gunicorn")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def get(self, path, timeout=10.0):
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as response:  # noqa: S310 — loopback
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return 0, b""


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
