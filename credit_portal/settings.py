"""Settings for the county public credit information platform, grouped by concern.

Everything is read from the environment (every variable is listed in .env.example; a test keeps the two
in step). With nothing set the portal runs in its embedded default: SQLite, local-memory cache and Celery
tasks executed eagerly in the web process, so it starts anywhere with one command. DATABASE_URL /
REDIS_URL switch to PostgreSQL / Redis; DJANGO_ENV=production turns on every deployment safeguard and
refuses to start without real keys and a host list.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Environment and keys --------------------------------------------------------------------------
DJANGO_ENV = env_choice("DJANGO_ENV", ("development", "test", "production"), "development")
PRODUCTION = DJANGO_ENV == "production"
# Only for the embedded default; production refuses to start without SECRET_KEY.
_DEV_SECRET = "dev-only-insecure-secret-key-not-for-production-use-0123456789"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", required=PRODUCTION) or _DEV_SECRET
# Key for personal data (ID numbers): encrypts the stored number and keys the lookup hash. Kept apart from
# SECRET_KEY so rotating sessions does not make stored ID numbers unreadable.
PII_KEY = env_str("PII_KEY", required=PRODUCTION) or SECRET_KEY
# HMAC key of the audit-trail hash chain (apps/audit/chain.py), apart from SECRET_KEY so rotating sessions
# never invalidates the chain; someone with only database access cannot recompute it after tampering.
AUDIT_CHAIN_KEY = env_str("AUDIT_CHAIN_KEY", required=PRODUCTION) or PII_KEY
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("生产模式必须设置 ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Platform identity -----------------------------------------------------------------------------
SITE_NAME = env_str("SITE_NAME") or "信用乳山"
PLATFORM_REGION_CODE = env_str("PLATFORM_REGION_CODE") or "371083"
PLATFORM_REGION_NAME = env_str("PLATFORM_REGION_NAME") or "乳山市"
# The portal's public address (e.g. https://xy.rushan.gov.cn), the one setting behind every link that
# leaves the site: report QR codes and verify links, 信用修复告知书, notification e-mails
# (credit_portal/site_url.py). Required in production, where a wrong host would be printed on paper;
# empty elsewhere: reports link to the request's own host, other text to bin/dev's address.
PUBLIC_SITE_URL = (env_str("PUBLIC_SITE_URL", required=PRODUCTION) or "").rstrip("/")
if PUBLIC_SITE_URL and not PUBLIC_SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"PUBLIC_SITE_URL={PUBLIC_SITE_URL!r} 应以 https:// 或 http:// 开头")
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- Applications, middleware, URLs, templates ----------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "auditlog",
    "apps.accounts",
    "apps.subjects",
    "apps.workdays",
    "apps.catalog",
    "apps.records",
    "apps.monitoring",
    "apps.lists",
    "apps.audit",
    "apps.portal",
    "apps.backups",
    "apps.commitments",
    "apps.declarations",
    "apps.evaluation",
    "apps.scenarios",
    "apps.reports",
    "apps.repair",
    "apps.notifications",
    "apps.exchange",
]
MIDDLEWARE = [
    # First: decides the client address for everything below (TRUSTED_PROXY_COUNT).
    "credit_portal.client_ip.ClientAddressMiddleware",
    # Refuses NUL, control characters, invalid UTF-8 and out-of-range numbers in any query string.
    "credit_portal.query_guard.QueryStringGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Anonymous public reads go to the read replica when there is one (DATABASE_REPLICA_URL).
    "credit_portal.db_router.ReplicaReadMiddleware",
    # Public read views run in a transaction with a statement timeout (PostgreSQL only).
    "credit_portal.public_queries.PublicQueryTimeoutMiddleware",
    # Axes must be last: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]
ROOT_URLCONF = "credit_portal.urls"
WSGI_APPLICATION = "credit_portal.wsgi.application"
ASGI_APPLICATION = "credit_portal.asgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Requests: client address and size bounds ------------------------------------------------------
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: none, the socket peer is
# the client). The one input to the client address of every throttle, lockout and log
# (credit_portal/client_ip.py); a client-sent header is never believed beyond it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Longest query string any page or endpoint accepts (credit_portal/query_guard.py).
QUERY_STRING_MAX_CHARS = env_int("QUERY_STRING_MAX_CHARS", 4096, minimum=256)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1024)

# --- Database -----------------------------------------------------------------------------------------
# Server-side parameter binding and prepared statements (psycopg, through Django's documented OPTIONS):
# a statement run PREPARE_THRESHOLD times on a connection is prepared there (parsed once). False behind a
# transaction-mode connection pooler, which loses prepared statements between transactions.
# A prepared statement is still planned for each execution's own values (plan_cache_mode): PostgreSQL's
# generic plan, chosen after five runs, cannot use a partial index or see a skewed value — at 10 M
# subjects, nine in ten with no ID number, ``id_number_hash = $1 ORDER BY id LIMIT 1`` became a walk of
# the primary key (7.7 s for an unknown number against 5 ms planned for the value; docs/scale.md).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_PREPARED_STATEMENTS:
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": 5,
            "options": "-c plan_cache_mode=force_custom_plan",
        }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "var" / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # A Redis outage must not take pages down (credit_portal/cache.py); short timeouts so a hung Redis
    # costs a request one second, not a worker timeout.
    CACHES = {
        "default": {
            "BACKEND": "credit_portal.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Per-process copies of policy data (field specs, grade labels, report-form departments;
# credit_portal/policy_cache.py): another worker sees an edit within RECHECK seconds; the TTL is the
# backstop for writes that send no signal.
POLICY_CACHE_RECHECK_SECONDS = env_int("POLICY_CACHE_RECHECK_SECONDS", 1, minimum=0)
POLICY_CACHE_SECONDS = env_int("POLICY_CACHE_SECONDS", 300, minimum=0)

# --- Read replica (optional; credit_portal/db_router.py) --------------------------------------------
# A streaming hot standby of the primary. Anonymous reads of the public portal, the public API and report
# verification go to it once it has replayed every write the public must see at once; everything else,
# and every request while it is unreachable, uses the primary. Needs PostgreSQL and Redis (the shared
# fence and "replica down" flag).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
# Seconds to wait for a connection to the replica before reading from the primary instead.
DB_REPLICA_CONNECT_TIMEOUT = env_int("DB_REPLICA_CONNECT_TIMEOUT", 2, minimum=1)
# After the replica failed, every process reads from the primary for this long before trying it again.
DB_REPLICA_RETRY_SECONDS = env_int("DB_REPLICA_RETRY_SECONDS", 10, minimum=1)
if DATABASE_REPLICA_URL:
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or not REDIS_URL:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL 需要 PostgreSQL 主库（DATABASE_URL）和 Redis（REDIS_URL）")
    _replica = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True
    )
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": DB_REPLICA_CONNECT_TIMEOUT}
    # Tests create no database for it: the replica alias reads the test database.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["credit_portal.db_router.PublicReadRouter"]

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker the embedded default runs every task inline, so the portal
# behaves the same (just slower for big imports) on a laptop with nothing else.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task for another worker
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker child whose resident memory passed this (KB) after a task is replaced by a fresh one: a big
# import's shared-strings table or a leak does not stay with the process. 0: never.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD_MB", 600, minimum=0) * 1024 or None
# A task whose worker died unannounced (kill -9, power loss) is handed out again after this many
# seconds; it must exceed the longest task (CELERY_TASK_TIME_LIMIT) or a slow task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200, minimum=1)}
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3300, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Long imports and nightly recomputation go to their own queue so they never
# hold up short interactive tasks (notifications, single deadlines).
CELERY_TASK_ROUTES = {
    "*.import_*": {"queue": "bulk"},
    "*.nightly_*": {"queue": "bulk"},
}
# Beat claims each scheduled run in Redis before sending it (credit_portal/beat.py): a second beat started
# by mistake sends nothing twice. Deploy one beat all the same (README "Scaling workers").
CELERY_BEAT_SCHEDULER = "credit_portal.beat:SingletonScheduler"
CELERY_BEAT_SCHEDULE = {
    # Partitions of records_record for this year and the next ones, before the nightly jobs run.
    "records-partitions-ensure": {
        "task": "apps.records.tasks.records_partitions_ensure",
        "schedule": crontab(hour=0, minute=5),
    },
    "records-nightly-expire": {
        "task": "apps.monitoring.tasks.nightly_records_expire",
        "schedule": crontab(hour=0, minute=10),
    },
    "records-nightly-recompute-deadlines": {
        "task": "apps.monitoring.tasks.nightly_recompute_deadlines",
        "schedule": crontab(hour=0, minute=40),
    },
    "lists-nightly-expiry": {
        "task": "apps.lists.tasks.nightly_list_expiry",
        "schedule": crontab(hour=0, minute=20),
    },
    "monitoring-monthly-ranking-snapshot": {
        "task": "apps.monitoring.tasks.monthly_ranking_snapshot",
        "schedule": crontab(day_of_month=1, hour=1, minute=0),
    },
    "subjects-nightly-code-quality": {
        "task": "apps.subjects.tasks.nightly_code_quality_scan",
        "schedule": crontab(hour=1, minute=30),
    },
    # After the code scan, so the 重错码 reading is the night's.
    "monitoring-nightly-indicator-readings": {
        "task": "apps.monitoring.tasks.nightly_indicator_readings",
        "schedule": crontab(hour=2, minute=30),
    },
    "evaluation-nightly-grades": {
        "task": "apps.evaluation.tasks.nightly_evaluation",
        "schedule": crontab(hour=2, minute=0),
    },
    # The public name search's side table: subjects registered by any path since the last run (an upload
    # refreshes it as soon as it ends; meanwhile the search finds them by a scan of the queue).
    "subjects-refresh-name-index": {
        "task": "apps.subjects.tasks.refresh_name_index",
        "schedule": crontab(minute="*"),
    },
    # Uploads whose queue message was lost (or whose worker stalled) are queued again, then failed.
    "records-sweep-stuck-uploads": {
        "task": "apps.records.tasks.sweep_stuck_uploads",
        "schedule": crontab(minute="*/5"),
    },
    # Working hours: 临期 / 超期 flags of repair and objection cases, escalation of overdue ones.
    "repair-flag-due-cases": {
        "task": "apps.repair.tasks.flag_due_cases",
        "schedule": crontab(hour="8-18", minute=5),
    },
}

# --- Accounts, login, sessions -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "portal:home"
# Argon2id first (issue 16 item 11: login under 300 ms of server time): Django's PBKDF2 default costs
# ~190-320 ms a login on our 2-core machines, Argon2 with Django's parameters ~90 ms and is memory-hard.
# PBKDF2 stays listed so passwords stored before the switch still verify; Django re-hashes them with
# Argon2 at their next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "apps.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "credit_portal.client_ip.client_ip_or_none"
# Subject claims (apps.accounts): the form answers the same whether or not the code and name match, and
# these bound how fast an account or a client address may try. Rates as "<count>/<s|m|h|d>" (django-ratelimit,
# counted in the cache); past them the answer is 429. After CLAIM_LOCK_ATTEMPTS submissions by one account
# within CLAIM_LOCK_WINDOW_HOURS the account may file no claim (and, with CLAIM_LOCK_DEACTIVATES_LOGIN, not
# sign in) until credit-center staff unlock it on the attempts page.
CLAIM_RATE_ACCOUNT = env_str("CLAIM_RATE_ACCOUNT") or "5/h"
CLAIM_RATE_ADDRESS = env_str("CLAIM_RATE_ADDRESS") or "20/h"
CLAIM_LOCK_ATTEMPTS = env_int("CLAIM_LOCK_ATTEMPTS", 10, minimum=1)
CLAIM_LOCK_WINDOW_HOURS = env_int("CLAIM_LOCK_WINDOW_HOURS", 24, minimum=1)
CLAIM_LOCK_DEACTIVATES_LOGIN = env_bool("CLAIM_LOCK_DEACTIVATES_LOGIN", True)

# --- Language and time -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and private media ---------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "staticfiles")
# Uploaded files live outside the web root and are only served through views that check who may see them.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT") or BASE_DIR / "var" / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": PRIVATE_MEDIA_ROOT}},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Intake: uploads, imports, spreadsheets (apps.records.intake) ---------------------------------
RECORD_UPLOAD_MAX_MB = env_int("RECORD_UPLOAD_MAX_MB", 50, minimum=1)  # spreadsheet uploads (records_upload)
# Large uploads on PostgreSQL are validated and stored set-based (apps/records/intake/staged.py); rows it is
# unsure of still take the Python pipeline. Off: every row takes the pipeline (slower, same result).
IMPORT_STAGED = env_bool("IMPORT_STAGED", True)
# Rows per segment: one transaction each, and the file's reader runs one segment ahead in a thread.
IMPORT_STAGED_CHUNK_ROWS = env_int("IMPORT_STAGED_CHUNK_ROWS", 10_000, minimum=1)
# An .xlsx whose sheet inflates to at least this many MB (~1,800 rows of the national template a MB) is parsed
# in a child process, on the other core, while the import stages and stores (apps/records/intake/xlsx_process.py);
# a smaller one is read in a thread: starting the child (~0.1-0.25 s) costs about what 1-2 MB take to parse.
# 0: always the child process.
IMPORT_XLSX_PROCESS_MIN_MB = env_int("IMPORT_XLSX_PROCESS_MIN_MB", 2, minimum=0)
# records_record is partitioned by decision year: the daily task keeps partitions made this many years
# ahead of today (apps/records/partitions.py), so no new year's records ever land in DEFAULT.
RECORD_PARTITION_YEARS_AHEAD = env_int("RECORD_PARTITION_YEARS_AHEAD", 1, minimum=0)
# An upload queued or running with no sign of life (started, a batch stored) for this long is queued again
# by the sweeper (records-sweep-stuck-uploads); after this many times it is failed with a message to the
# clerk. Longer than the bulk queue's usual wait and than one batch of the slowest import.
UPLOAD_STUCK_MINUTES = env_int("UPLOAD_STUCK_MINUTES", 30, minimum=1)
UPLOAD_MAX_REQUEUES = env_int("UPLOAD_MAX_REQUEUES", 3, minimum=0)
# Stored rows with a note for the clerk (an ID or mobile number in a name…) listed on the upload page;
# the rest are counted. Bounds the memory and the upload's JSON on a file where every row has one.
UPLOAD_MAX_WARNED_ROWS = env_int("UPLOAD_MAX_WARNED_ROWS", 1000, minimum=1)
# Zip-bomb guards of every .xlsx reader (apps/records/intake/guards.py). A real workbook has a few dozen
# parts compressed 5-20:1; a hostile one is small on disk and inflates to gigabytes. Checked on the zip
# directory before anything is inflated, and again while each part inflates.
SPREADSHEET_MAX_MEMBERS = env_int("SPREADSHEET_MAX_MEMBERS", 1000, minimum=10)
# Inflated size of any one part; worksheets are read row by row, so this bounds time, not memory.
SPREADSHEET_MAX_MEMBER_MB = env_int("SPREADSHEET_MAX_MEMBER_MB", 500, minimum=1)
# Inflated size of the shared-strings table (every distinct text of the workbook); bounds its parse time
# and its spill file, not memory: see the next one.
SPREADSHEET_MAX_SHARED_STRINGS_MB = env_int("SPREADSHEET_MAX_SHARED_STRINGS_MB", 200, minimum=1)
# Memory the reader may give the shared-strings table; beyond it the strings spill to a temporary file
# (apps/records/intake/shared_strings.py), so an .xlsx reader's memory is the same for any file size.
SPREADSHEET_SHARED_STRINGS_MEMORY_MB = env_int("SPREADSHEET_SHARED_STRINGS_MEMORY_MB", 32, minimum=1)
# Inflated/compressed size of a part over 1 MB.
SPREADSHEET_MAX_RATIO = env_int("SPREADSHEET_MAX_RATIO", 100, minimum=2)
# Characters in one cell (Excel's own limit is 32,767).
SPREADSHEET_MAX_CELL_CHARS = env_int("SPREADSHEET_MAX_CELL_CHARS", 32_767, minimum=256)
# Batch credit checks (逢办必查 by file) run in the request: these bound its time.
CREDIT_CHECK_BATCH_MAX_ROWS = env_int("CREDIT_CHECK_BATCH_MAX_ROWS", 20_000, minimum=1)
CREDIT_CHECK_BATCH_MAX_MB = env_int("CREDIT_CHECK_BATCH_MAX_MB", 10, minimum=1)

# --- Public portal, public API and credit reports (apps.portal, apps.reports) ---------------------
PORTAL_SEARCH_MAX_RESULTS = env_int("PORTAL_SEARCH_MAX_RESULTS", 200, minimum=1)
PORTAL_PROFILE_MAX_RECORDS = env_int("PORTAL_PROFILE_MAX_RECORDS", 200, minimum=1)
# Public lists over millions of rows (credit_portal/pagination.py): the public API's default and largest
# page (a larger ?limit= is answered with this many rows), how many pages deep the public HTML lists go
# (deeper needs a narrower search), and the largest ?limit= of the other API lists.
PUBLIC_PAGE_SIZE = env_int("PUBLIC_PAGE_SIZE", 20, minimum=1)
PUBLIC_PAGE_SIZE_MAX = env_int("PUBLIC_PAGE_SIZE_MAX", 100, minimum=1)
PUBLIC_MAX_PAGES = env_int("PUBLIC_MAX_PAGES", 50, minimum=1)
API_PAGE_SIZE_MAX = env_int("API_PAGE_SIZE_MAX", 1000, minimum=1)
# Longest any one SQL statement of a public page or public API call may run on PostgreSQL before it is
# cancelled and the visitor gets a 503 (credit_portal/public_queries.py); 0 switches the limit off.
PUBLIC_STATEMENT_TIMEOUT_MS = env_int("PUBLIC_STATEMENT_TIMEOUT_MS", 2000, minimum=0)
# Parallel workers a public read may start (max_parallel_workers_per_gather inside that transaction).
PUBLIC_PARALLEL_WORKERS = env_int("PUBLIC_PARALLEL_WORKERS", 0, minimum=0)
# Rate limits per client address (credit_portal/ratelimits.py, counted in the Django cache): "<count>/<s|m|h|d>".
PORTAL_RATE_SEARCH = env_str("PORTAL_RATE_SEARCH") or "60/m"
PORTAL_RATE_PROFILE = env_str("PORTAL_RATE_PROFILE") or "120/m"
PORTAL_RATE_REPORT = env_str("PORTAL_RATE_REPORT") or "10/h"
PORTAL_RATE_VERIFY = env_str("PORTAL_RATE_VERIFY") or "60/m"
PORTAL_RATE_OBJECTION = env_str("PORTAL_RATE_OBJECTION") or "10/h"  # anonymous objections filed (apps.repair)
PORTAL_RATE_PASSWORD_RESET = env_str("PORTAL_RATE_PASSWORD_RESET") or "5/h"  # reset e-mails asked for (apps.accounts)
# Declarations one subject account may file (apps.declarations): each waits in a department's review queue.
DECLARATION_RATE_ACCOUNT = env_str("DECLARATION_RATE_ACCOUNT") or "20/d"
SCENARIO_CHECK_RATE = env_str("SCENARIO_CHECK_RATE") or "600/h"  # 信易+ partner checks per API key (apps.scenarios)
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
# The CJK TrueType font embedded in generated PDFs (credit_portal.pdf.cjk_font_name).
PDF_CJK_FONT = env_str("PDF_CJK_FONT") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

# --- Credit repair and objections (apps.repair) ---------------------------------------------------
REPAIR_MATERIAL_MAX_MB = env_int("REPAIR_MATERIAL_MAX_MB", 10, minimum=1)  # each uploaded repair/objection material
REPAIR_NOTICE_BULK_MAX = env_int("REPAIR_NOTICE_BULK_MAX", 5000, minimum=1)  # 告知书 in one bulk zip (Celery task)
# The service window the 信用修复告知书 names.
REPAIR_OFFICE = env_str("REPAIR_OFFICE") or "乳山市政务服务中心信用修复窗口（乳山市社会信用体系建设领导小组办公室）"

# --- Exchange with the city/provincial platform (apps.exchange) --------------------------------------
# Where pushed batches go (POST, JSON, X-Batch-Id header); empty: pushing is off, downloads still work.
EXCHANGE_UPSTREAM_URL = env_str("EXCHANGE_UPSTREAM_URL") or ""
EXCHANGE_UPSTREAM_TOKEN = env_str("EXCHANGE_UPSTREAM_TOKEN") or ""  # sent as "Authorization: Bearer …" when set
EXCHANGE_UPSTREAM_PROXY = env_str("EXCHANGE_UPSTREAM_PROXY") or ""  # empty: connect directly
EXCHANGE_UPSTREAM_TIMEOUT = env_int("EXCHANGE_UPSTREAM_TIMEOUT", 30, minimum=1)  # seconds per attempt
# Attempts before a batch is marked failed, and the first wait between them (doubling, at most 6 hours).
EXCHANGE_PUSH_MAX_ATTEMPTS = env_int("EXCHANGE_PUSH_MAX_ATTEMPTS", 8, minimum=1)
EXCHANGE_PUSH_BACKOFF_SECONDS = env_int("EXCHANGE_PUSH_BACKOFF_SECONDS", 60, minimum=1)
# Rows (records + repair and objection outcomes) one download or batch may hold; longer periods are split.
EXCHANGE_MAX_ROWS = env_int("EXCHANGE_MAX_ROWS", 50000, minimum=1)

# --- E-mail ------------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "noreply@credit.example.gov.cn"

# --- REST framework and OpenAPI --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # limit/offset with the limit clamped to API_PAGE_SIZE_MAX; the public list uses keyset pages.
    "DEFAULT_PAGINATION_CLASS": "credit_portal.pagination.CappedLimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_ANON_RATE") or "120/min"},
    # The middleware has already put the client address in REMOTE_ADDR; 0 makes DRF read only that
    # (its default, None, believes any X-Forwarded-For a client sends).
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "公共信用信息平台 API",
    "DESCRIPTION": "县级公共信用信息平台接口：部门目录、主体代码校验、工作日计算等。部门系统以 API Key 认证（请求头 `Authorization: Api-Key <key>`）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Framework-level error answers (401/403/404/400/429) documented once for every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "credit_portal.openapi.add_error_responses",
    ],
}

# --- Audit log ----------------------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Security ------------------------------------------------------------------------------------------
CSRF_FAILURE_VIEW = "credit_portal.errors.csrf_failure"  # Django's own page is English and outside the layout
# No inline script or style anywhere: every script is a file under static/ and
# behaviour hangs off data- attributes. Swagger UI and ReDoc initialise inline,
# so the API docs pages are left out of the policy.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs/", "/api/v1/redoc/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The container health check calls plain HTTP on loopback.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging -------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
