"""Load test: gunicorn (2 workers) on the benchmark database, driven by wrk with 50 concurrent
logged-in connections per page for a fixed time; prints requests/s, p50/p99 latency and errors.
The cache is Redis as deployed (``REDIS_URL``, else database 6 of a Redis on 127.0.0.1 if one
answers); each page gets a few warm-up requests before it is timed.

    make load          # or: DATABASE_URL=... python -m tests.bench.load --seconds 20

Traffic goes to 127.0.0.1 only. Needs Debian's wrk (apt-get install wrk).
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from tests.bench.bench_pages import _user, pages, second_factor  # noqa: E402
from tests.bench.report import vacuum  # noqa: E402
from zhenhai_so.roles import Role  # noqa: E402

PORT = 8765
GOAL_P99_MS = 1000
LOAD_PAGES = ("organisation list", "organisation page", "dashboard")
WARM_UP = 6
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(3600)
    session.create()
    second_factor(user, session)
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def warm_up(url: str, cookie: str) -> None:
    """A few requests one after another before the clock starts, as a deployed portal is warm:
    each worker has loaded its code and templates, and the dashboard's values are computed
    (the beat task ``targets-warm-dashboard`` keeps them so)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    for _ in range(WARM_UP):
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            response.read()


def parse(output: str) -> dict:
    def latency(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", output, re.M)
        if not match:
            return None
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    requests = re.search(r"(\d+) requests in", output)
    connect, read, write, timeout = (int(g) for g in errors.groups()) if errors else (0, 0, 0, 0)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(requests.group(1)) if requests else 0,
        "p50": latency("50"),
        "p99": latency("99"),
        # Answers other than 2xx/3xx and broken connections; requests still unanswered after
        # --timeout are counted apart (they are slow, not failed, but they miss the goal).
        "errors": (int(non2xx.group(1)) if non2xx else 0) + connect + read + write,
        "timeouts": timeout,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--timeout", type=int, default=10, help="wrk's per-request timeout (s)")
    parser.add_argument(
        "--all", action="store_true", help="every benchmarked page, not only the three of issue 9"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    vacuum(os.environ["DATABASE_URL"])
    cookies = {
        "staff": session_cookie(_user("bench_staff", Role.BUREAU_STAFF)),
        "leader": session_cookie(_user("bench_leader", Role.LEADER)),
    }
    # As deployed (docker-compose.yml): Redis holds the cache the workers share, so a value the
    # dashboard computed in one worker serves the other. Without Redis each worker computes its
    # own and keeps it a minute (zhenhai_so/dataversion.py LOCAL_TTL).
    redis_url = os.environ.get("REDIS_URL") or (DEFAULT_REDIS if redis_reachable() else "")
    env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "REDIS_URL": redis_url,
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "zhenhai_so.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        print(
            f"gunicorn 2 workers, cache {'Redis' if redis_url else 'per process (no Redis)'}, "
            f"wrk {args.connections} connections x {args.seconds} s per page after "
            f"{WARM_UP} requests of warm-up, request timeout {args.timeout} s; "
            f"goal: no errors, p99 < {GOAL_P99_MS} ms"
        )
        print(
            f"{'page':<36} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'errors':>7} {'timeouts':>8}  result"
        )
        for label, _kind, role, url in pages():
            if role not in cookies or not (args.all or label in LOAD_PAGES):
                continue
            warm_up(f"http://127.0.0.1:{PORT}{url}", cookies[role])
            result = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "--timeout",
                    f"{args.timeout}s",
                    "-H",
                    f"Cookie: {cookies[role]}",
                    f"http://127.0.0.1:{PORT}{url}",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            r = parse(result.stdout)
            p50, p99 = r["p50"] or 0, r["p99"] or 0
            passed = r["errors"] == 0 and r["timeouts"] == 0 and r["p99"] and p99 < GOAL_P99_MS
            print(
                f"{label:<36} {r['requests']:>8} {r['rps']:>8.1f} {p50:>8.0f} {p99:>8.0f} "
                f"{r['errors']:>7} {r['timeouts']:>8}  {'PASS' if passed else 'FAIL'}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
