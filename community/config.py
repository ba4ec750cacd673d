"""Settings, read from the environment once per app, with safe embedded defaults for a newcomer's laptop."""

import os
import secrets
from pathlib import Path

from community.fair_pool import FirstComePool

DEFAULT_SITE_URL = "http://127.0.0.1:5000"


class ConfigError(RuntimeError):
    """Raised when the environment asks for something the app must not start with."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _development_secret(instance_path: Path) -> str:
    """A random key kept in instance/ so sessions survive restarts on a developer's machine."""
    key_file = instance_path / "dev-secret-key"
    if not key_file.exists():
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            # Created owner-only in one step: chmod after writing would leave a moment when others can read it.
            descriptor = os.open(key_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(descriptor, "w") as key:
                key.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()


# Connections a process may open beyond DB_POOL_SIZE in a burst (closed again once returned).
DB_POOL_OVERFLOW = 5


def engine_options(database_url: str, pool_size: int = 10) -> dict:
    """How the app talks to its database. A pooled connection is tested before use (pre-ping), so one left dead
    by a database restart is replaced, not handed to a request; and a PostgreSQL that does not answer is given up
    on after 2 s (libpq's minimum), so a page during an outage says so promptly instead of hanging.

    On PostgreSQL each process keeps up to `pool_size` connections (DB_POOL_SIZE). Under gevent one process serves
    hundreds of requests at once, but only one runs Python at a time and a page's queries take milliseconds, so
    ten connections keep up; a request finding none free waits for one, in the order it came (FirstComePool).
    Processes x (pool + overflow) must stay under PostgreSQL's max_connections (100 by default), with room for
    cron and backups."""
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith(("postgresql", "postgres")):
        options["connect_args"] = {"connect_timeout": 2}
        options["pool_size"] = pool_size
        options["max_overflow"] = DB_POOL_OVERFLOW
        options["poolclass"] = FirstComePool
    return options


def load_config(instance_path: str, environ: dict | None = None) -> dict:
    """Build the Flask config dict from environment variables (see README's table of settings)."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    site_url = env.get("SITE_URL", DEFAULT_SITE_URL).rstrip("/")
    https = site_url.startswith("https")
    redis_url = env.get("REDIS_URL") or None

    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if https:
            # A site served over https is a real deployment: never run it on a generated key.
            raise ConfigError("SECRET_KEY must be set when SITE_URL uses https (production).")
        secret_key = _development_secret(instance)
    elif https and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY is too short for production: use at least 32 random characters.")
    demo_mode = _flag(env.get("DEMO_MODE"))
    if demo_mode and https:
        # Demo mode hands out free membership with a button: never on a real site.
        raise ConfigError("DEMO_MODE must not be set when SITE_URL uses https (production): it gives away "
                          "free membership. Unset DEMO_MODE.")

    session_lifetime = int(float(env.get("SESSION_LIFETIME_DAYS") or 30) * 86400)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'community.db'}"

    return {
        "SECRET_KEY": secret_key,
        "SITE_URL": site_url,
        "HTTPS": https,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url, int(env.get("DB_POOL_SIZE") or 10)),
        "REDIS_URL": redis_url,
        # Rate limits: memory on one process, Redis when there is one so every process shares counts.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down must not mean log-in down: each process then counts in its own memory (and logs a warning)
        # until Redis answers again; short timeouts so an unreachable Redis cannot stall every request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": bool(redis_url),
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if redis_url else {},
        "RATELIMIT_SWALLOW_ERRORS": bool(redis_url),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "community",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Every write (POST, PUT, PATCH, DELETE) by one person, or one address when logged out, on any route: far
        # beyond what anyone does by hand. Routes with tighter limits of their own keep them as well.
        "WRITE_LIMIT": "60 per minute;600 per hour",
        # The café room's socket events, per member and per kind of event (a client catches up every 5 seconds,
        # from at most 5 tabs); and joining the room, per member. Sending has its own tighter limit too.
        "CAFE_EVENT_LIMIT": "30 per 10 seconds;1200 per 10 minutes",
        "CAFE_CONNECT_LIMIT": "20 per minute;300 per hour",
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_PRICE_ID": env.get("STRIPE_PRICE_ID") or None,
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,
        # Where Stripe's Checkout and Customer Portal pages live (the membership page's forms are redirected there).
        "STRIPE_REDIRECT_ORIGINS": (env.get("STRIPE_REDIRECT_ORIGINS")
                                    or "https://checkout.stripe.com https://billing.stripe.com").split(),
        # How long to wait for Stripe before telling the person to try again (the library's default is 80 s).
        "STRIPE_TIMEOUT_SECONDS": float(env.get("STRIPE_TIMEOUT_SECONDS") or 15),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 587),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS", "1")),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Target CSF Leaks <hello@targetcsfleaks.org.uk>"),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "DEMO_MODE": demo_mode,
        "CAFE_RETENTION_DAYS": int(env.get("CAFE_RETENTION_DAYS") or 30),
        # How many reverse proxies stand in front of the app; their X-Forwarded-* headers are trusted only then.
        "TRUSTED_PROXY_HOPS": int(env.get("TRUSTED_PROXY_HOPS") or 0),
        # Cookies: never readable by scripts; Secure and __Host- prefixed whenever the site is https.
        "SESSION_COOKIE_NAME": "__Host-session" if https else "session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_NAME": "__Host-remember" if https else "remember_token",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": session_lifetime,
        # A browser that has logged in to an account before: its failures are not counted with strangers'.
        "DEVICE_COOKIE_NAME": "__Host-device" if https else "device",
        # Server-side sessions end after this long unused (longer with "keep me logged in"), and after
        # SESSION_LIFETIME whatever happens. All in seconds.
        "SESSION_IDLE_TIMEOUT": int(float(env.get("SESSION_IDLE_HOURS") or 12) * 3600),
        "REMEMBERED_SESSION_IDLE_TIMEOUT": int(float(env.get("REMEMBERED_SESSION_IDLE_DAYS") or 14) * 86400),
        "SESSION_LIFETIME": session_lifetime,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # CSRF tokens live as long as the session, so a slow writer's form never expires under them.
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Email links: how long each kind stays valid, in seconds.
        "VERIFY_EMAIL_MAX_AGE": 60 * 60 * 24 * 3,
        "RESET_PASSWORD_MAX_AGE": 60 * 60,
        "CHANGE_EMAIL_MAX_AGE": 60 * 60 * 24,
        # The old address can undo a change for a week: it is the one the owner is known to hold.
        "CANCEL_EMAIL_CHANGE_MAX_AGE": 60 * 60 * 24 * 7,
    }
