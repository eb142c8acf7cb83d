"""Benchmarks 1 and 2, in process through Django's test client: SQL queries and latency.

The test client runs the whole Django stack (middleware, JWT authentication, throttle
on Redis, view, JSON rendering) without a socket, so the figures are the
application's own cost. Sizes are measured round-robin (10, 100, 1000, 10, ...)
so that noise from other work on the machine falls on every size alike.
"""

import statistics
import time
from datetime import datetime, timedelta, timezone

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists.models import Checklist

LIST_URL = "/api/network/list/following/"
CHECKLIST_URL = "/api/checklists/"
PLUS_8 = timezone(timedelta(hours=8))


def token_for(user_id):
    """An access token for `user_id`, as /auth/user/ hands out (without the password check):
    a new session's (a token without `sid` minted after the cutover is refused)."""
    return account_services.tokens_for(User.objects.get(pk=user_id))["access"]


def client_for(user_id):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user_id)}")
    return client


def list_fetch_all(client):
    """Fetch every page of the following list; returns (entries, requests)."""
    entries, requests, cursor = 0, 0, None
    while True:
        response = client.get(LIST_URL, {"cursor": cursor} if cursor else {})
        requests += 1
        if response.status_code != 200:
            raise RuntimeError(f"list answered {response.status_code}: {response.content[:200]!r}")
        body = response.json()
        entries += len(body["users"])
        cursor = body["next_cursor"]
        if cursor is None:
            return entries, requests


def _timed(call):
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _queries(call):
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def _round_robin(calls, repeats, warmup):
    """{key: [seconds, ...]}: every call timed `repeats` times, interleaved, after `warmup` untimed rounds."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    samples = {key: [] for key in calls}
    for _ in range(repeats):
        for key, call in calls.items():
            samples[key].append(_timed(call))
    return samples


def network_list(viewers, *, repeats, warmup=2):
    """Benchmark 1: {N: {entries, requests, queries, median_ms, p90_ms}} for each viewer following N users."""
    clients = {size: client_for(user_id) for size, user_id in viewers.items()}
    results = {}
    for size, client in clients.items():
        entries, requests = list_fetch_all(client)
        if entries != size:
            raise RuntimeError(f"viewer following {size} users listed {entries}")
        results[size] = {
            "entries": entries,
            "requests": requests,
            "queries": _queries(lambda c=client: list_fetch_all(c)),
        }
    samples = _round_robin(
        {size: (lambda c=client: list_fetch_all(c)) for size, client in clients.items()}, repeats, warmup
    )
    for size, seconds in samples.items():
        results[size] |= _summary(seconds)
    return results


def checklist_of_the_day(history, *, repeats, warmup=3):
    """Benchmark 2: POST /api/checklists/ for users with N past checklists.

    Two paths: `found` (today's checklist exists, 200, with its regrets: every opening
    of the app after the first) and `created` (a day before the whole history has none,
    201: the first opening of a day; a future day is refused since issue 9). Each created checklist is deleted again, untimed, so the history
    keeps its size.
    """
    now = datetime.now(PLUS_8)
    today = {"local_datetime": now.isoformat()}
    fresh_day = {"local_datetime": (now - timedelta(days=20 * 365)).isoformat()}
    clients = {size: client_for(user_id) for size, user_id in history.items()}

    def found(client):
        response = client.post(CHECKLIST_URL, today, format="json")
        if response.status_code != 200:
            raise RuntimeError(f"checklist of the day answered {response.status_code}: {response.content[:200]!r}")

    def create(client):
        response = client.post(CHECKLIST_URL, fresh_day, format="json")
        if response.status_code != 201:
            raise RuntimeError(f"new checklist answered {response.status_code}: {response.content[:200]!r}")
        return response.json()["id"]

    def created(client):
        started = time.perf_counter()
        checklist_id = create(client)
        elapsed = time.perf_counter() - started
        Checklist.objects.filter(pk=checklist_id).delete()
        return elapsed

    def created_queries(client):
        with CaptureQueriesContext(connection) as captured:
            checklist_id = create(client)
        Checklist.objects.filter(pk=checklist_id).delete()
        return len(captured.captured_queries)

    results = {}
    for size, client in clients.items():
        results[size] = {
            "found_queries": _queries(lambda c=client: found(c)),
            "created_queries": created_queries(client),
        }
    found_samples = _round_robin(
        {size: (lambda c=client: found(c)) for size, client in clients.items()}, repeats, warmup
    )
    created_samples = {size: [] for size in clients}
    for _ in range(warmup):
        for client in clients.values():
            created(client)
    for _ in range(repeats):
        for size, client in clients.items():
            created_samples[size].append(created(client))
    for size in clients:
        results[size] |= {f"found_{k}": v for k, v in _summary(found_samples[size]).items()}
        results[size] |= {f"created_{k}": v for k, v in _summary(created_samples[size]).items()}
    return results


def _summary(seconds):
    ordered = sorted(seconds)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p90_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000,
        "samples": len(ordered),
    }


def follow_queries(client_id, target_username):
    """SQL queries of one follow and of one unfollow (the pair is undone: net zero)."""
    client = client_for(client_id)
    follow_url = f"/api/network/follow/{target_username}/"
    unfollow_url = f"/api/network/unfollow/{target_username}/"
    with CaptureQueriesContext(connection) as follow:
        status = client.post(follow_url).status_code
    if status != 201:
        raise RuntimeError(f"follow answered {status}")
    with CaptureQueriesContext(connection) as unfollow:
        status = client.delete(unfollow_url).status_code
    if status != 200:
        raise RuntimeError(f"unfollow answered {status}")
    with CaptureQueriesContext(connection) as ceiling:
        client.get("/api/network/settings/")
    return {
        "follow": len(follow.captured_queries),
        "unfollow": len(unfollow.captured_queries),
        "settings": len(ceiling.captured_queries),
    }


def follow_costs(client_id, target_usernames, *, repeats):
    """Median in-process ms of a follow, an unfollow and the ceiling request (GET settings/)."""
    client = client_for(client_id)
    samples = {"follow": [], "unfollow": [], "settings": []}
    for index in range(repeats):
        target = target_usernames[index % len(target_usernames)]
        samples["follow"].append(_timed(lambda target=target: client.post(f"/api/network/follow/{target}/")))
        samples["unfollow"].append(_timed(lambda target=target: client.delete(f"/api/network/unfollow/{target}/")))
        samples["settings"].append(_timed(lambda: client.get("/api/network/settings/")))
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def profile(calls, *, seconds, out_dir):
    """Profile each of `calls` ({name: callable}), repeated for `seconds`, with pyinstrument.

    Writes profile_<name>.txt and .html into `out_dir`; returns the text reports' paths.
    """
    from pyinstrument import Profiler

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, call in calls.items():
        call()
        profiler = Profiler(interval=0.0005)
        profiler.start()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            call()
        profiler.stop()
        paths[name] = out_dir / f"profile_{name}.txt"
        paths[name].write_text(profiler.output_text(unicode=False, color=False))
        profiler.write_html(str(out_dir / f"profile_{name}.html"))
    return paths
