"""Load test: gunicorn (2 workers) and a Celery worker on the benchmark database, driven by wrk
with 50 concurrent logged-in connections for a fixed time; prints requests/s, p50/p99 latency
and errors. The cache and broker are Redis as deployed (``REDIS_URL``, else database 6 of a Redis
on 127.0.0.1 if one answers).

Two runs, the second compared with the first: a bare Django page rendering 20 organisations from
one query (``tests.bench.load_urls``), then a realistic mix: every request a random one of the
register list's pages and filters, organisation pages, and the dashboard and target pages at
random dates and townships, while an organisation is edited once a second (each edit queues the
targets' refresh, which the Celery worker runs). The goal: no errors, the mix's throughput at
least 0.8 × the bare page's and its p99 at most 2 × the bare page's. ``--pages`` also runs each
main page alone, as before.

    make load          # or: DATABASE_URL=... python -m tests.bench.load --seconds 20

Traffic goes to 127.0.0.1 only. Needs Debian's wrk (apt-get install wrk).
"""

import argparse
import contextlib
import datetime
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import django

DEFAULT_REDIS = "redis://127.0.0.1:6379/6"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# The edits made here queue the targets' refresh on the same broker as the server's.
if not os.environ.get("REDIS_URL") and redis_reachable():
    os.environ["REDIS_URL"] = DEFAULT_REDIS
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from registry.models import Organisation, Township  # noqa: E402
from tests.bench.bench_pages import _any_dates, _user, pages, second_factor  # noqa: E402
from tests.bench.report import vacuum  # noqa: E402
from zhenhai_so.roles import Role  # noqa: E402

PORT = 8765
GOAL_P99_MS = 1000
MIX_THROUGHPUT, MIX_P99 = 0.8, 2.0  # of the bare page's requests/s and p99
LUA = """
local paths = {}
for line in io.lines(os.getenv("LOAD_PATHS")) do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""
LOAD_PAGES = ("organisation list", "organisation page", "dashboard")
WARM_UP = 6


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(3600)
    session.create()
    second_factor(user, session)
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def warm_up(url: str, cookie: str) -> None:
    """A few requests one after another before the clock starts, as a deployed portal is warm:
    each worker has loaded its code and templates."""
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


def mix_paths(rng: random.Random) -> list[str]:
    """The paths of the realistic mix: list pages and filters, organisation pages, dashboard
    and target pages at random dates and townships."""
    from django.urls import reverse

    from targets.models import Target

    organisations = list(Organisation.objects.values_list("pk", flat=True))
    townships = list(Township.objects.values_list("pk", flat=True))
    targets = list(Target.objects.values_list("pk", flat=True))
    listing = reverse("registry:organisation_list")
    pages_count = max(1, len(organisations) // 20)
    filters = ["", "org_type=social_group", "status=normal", "o=-registered_on", "grade=3A"]
    dates = _any_dates()
    paths = []
    for _ in range(100):
        query = "&".join(
            q for q in (f"page={rng.randint(1, min(pages_count, 200))}", rng.choice(filters),
                        f"township={rng.choice(townships)}" if rng.random() < 0.3 else "") if q
        )  # fmt: skip
        paths.append(f"{listing}?{query}")
        pk = rng.choice(organisations)
        paths.append(reverse("registry:organisation_detail", args=[pk]))
        paths.append(f"{reverse('targets:dashboard')}?{rng.choice(dates)}")
        target = reverse("targets:target_detail", args=[rng.choice(targets)])
        paths.append(f"{target}?{rng.choice(dates)}")
    return paths


def writer(stop: threading.Event, edits: list) -> None:
    """One edit a second, as staff make them: an organisation's phone number, committed (which
    queues the targets' refresh)."""
    from django.db import close_old_connections

    rng = random.Random(7)  # noqa: S311  (which organisation to edit)
    pks = list(Organisation.objects.values_list("pk", flat=True))
    while not stop.wait(1.0):
        Organisation.objects.filter(pk=rng.choice(pks)).update(
            phone=f"0574-{rng.randint(10000000, 99999999)}"
        )
        edits.append(datetime.datetime.now())
    close_old_connections()


def run_wrk(args, cookie: str, url: str, script: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
               "--timeout", f"{args.timeout}s", "-H", f"Cookie: {cookie}"]  # fmt: skip
    if script:
        command += ["-s", script]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, env=os.environ
    )
    return parse(result.stdout)


def line(label, r, verdict) -> str:
    p50, p99 = r["p50"] or 0, r["p99"] or 0
    return (
        f"{label:<36} {r['requests']:>8} {r['rps']:>8.1f} {p50:>8.0f} {p99:>8.0f} "
        f"{r['errors']:>7} {r['timeouts']:>8}  {verdict}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--timeout", type=int, default=10, help="wrk's per-request timeout (s)")
    parser.add_argument("--pages", action="store_true", help="also each main page alone")
    parser.add_argument("--all", action="store_true", help="with --pages: every page")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    vacuum(os.environ["DATABASE_URL"])
    cookies = {
        "staff": session_cookie(_user("bench_staff", Role.BUREAU_STAFF)),
        "leader": session_cookie(_user("bench_leader", Role.LEADER)),
    }
    redis_url = os.environ.get("REDIS_URL", "")
    env = {
        **os.environ,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "tests.bench.load_settings",
    }
    base = f"http://127.0.0.1:{PORT}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "zhenhai_so.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", "2", "--timeout", "120", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    worker = None
    if redis_url:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "zhenhai_so", "worker", "-c", "1",
             "--loglevel", "warning"],
            env=env,
        )  # fmt: skip
    paths_file = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)  # noqa: SIM115
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        print(
            f"gunicorn 2 workers, {'Redis and a Celery worker' if redis_url else 'no Redis'}, "
            f"wrk {args.connections} connections x {args.seconds} s per run after "
            f"{WARM_UP} requests of warm-up, request timeout {args.timeout} s"
        )
        print(
            f"{'run':<36} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'errors':>7} {'timeouts':>8}  result"
        )
        cookie = cookies["leader"]
        bare_url = f"{base}/bench/baseline/"
        warm_up(bare_url, cookie)
        bare = run_wrk(args, cookie, bare_url)
        print(line("bare page (20 rows, 1 query)", bare, "reference"))
        paths = mix_paths(random.Random(20181026))  # noqa: S311  (which pages to ask for)
        paths_file.write("\n".join(paths) + "\n")
        paths_file.close()
        lua.write(LUA)
        lua.close()
        for path in paths[:8]:
            warm_up(f"{base}{path}", cookie)
        os.environ["LOAD_PATHS"] = paths_file.name
        stop, edits = threading.Event(), []
        editing = threading.Thread(target=writer, args=(stop, edits), daemon=True)
        editing.start()
        try:
            mix = run_wrk(args, cookie, f"{base}/", script=lua.name)
        finally:
            stop.set()
            editing.join(timeout=5)
        passed = (
            mix["errors"] == 0
            and mix["timeouts"] == 0
            and mix["rps"] >= MIX_THROUGHPUT * bare["rps"]
            and (mix["p99"] or 0) <= MIX_P99 * (bare["p99"] or 0)
        )
        print(line(f"realistic mix, {len(edits)} edits", mix, "PASS" if passed else "FAIL"))
        print(
            f"  mix / bare: throughput {mix['rps'] / max(bare['rps'], 0.1):.2f} × (goal ≥ "
            f"{MIX_THROUGHPUT}), p99 {(mix['p99'] or 0) / max(bare['p99'] or 0, 0.1):.2f} × "
            f"(goal ≤ {MIX_P99})"
        )
        if args.pages:
            for label, _kind, role, url in pages():
                if role not in cookies or not (args.all or label in LOAD_PAGES):
                    continue
                warm_up(f"{base}{url}", cookies[role])
                r = run_wrk(args, cookies[role], f"{base}{url}")
                passed = r["errors"] == 0 and r["timeouts"] == 0 and (r["p99"] or 0) < GOAL_P99_MS
                print(line(label, r, "PASS" if passed else "FAIL"))
    finally:
        for process in (server, worker):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        for name in (paths_file.name, lua.name):
            with contextlib.suppress(OSError):
                os.unlink(name)


if __name__ == "__main__":
    main()
