"""A mixed-traffic load run against gunicorn, PostgreSQL and Redis on loopback (docs/BENCHMARKS.md).

Simulated users (asyncio + httpx) run the MIX until the deadline; every request's status and
latency is kept. Afterwards the database is checked against what the server acknowledged
(check_database), so "requests lost: zero" means every request got an answer and every
answered write is in the database, and nothing else is. Bounded: the run stops at its deadline
(plus a drain bounded by the request timeout), talks to 127.0.0.1 only, drops its database.
"""

import asyncio
import json
import logging
import math
import random
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg

from bench.load.server import Gunicorn, app_env, derived_name, migrated_database

REQUEST_TIMEOUT = 30
PASSWORD = "load run passphrase 42"

# op -> (weight in the mix, statuses that are a correct answer to it in this run)
MIX = {
    "follow": (18, {201, 403, 409}),
    "unfollow": (9, {200, 404}),
    "follower_remove": (4, {200, 404}),
    "network_list": (14, {200}),
    "validate": (5, {200, 403, 409}),
    "checklist_day": (10, {200, 201}),
    "regret_add": (12, {201}),
    "regret_resolve": (9, {200}),
    "checklist_list": (6, {200}),
    "history": (4, {200}),
    "settings_toggle": (3, {200}),
    "token_refresh": (3, {200}),
    "sign_up": (3, {201}),
}
SETUP_STATUSES = {"sign_up": {201}}
OFFSETS = [timedelta(0), timedelta(hours=8), timedelta(hours=-5), timedelta(hours=5, minutes=30)]


@dataclass
class Options:
    users: int = 50
    seconds: float = 60
    workers: int = 4
    think_ms: tuple = (5, 50)
    seed: int = 6
    password_every: int = 10  # one sign-up in N sets a password (PBKDF2 costs ~0.2 s of CPU)
    # Read-your-writes check: after each acknowledged follow, the follower's list of following
    # at once (op `follow_readback`, outside the mix) must show it.
    readback: bool = False


@dataclass
class Results:
    latencies: dict = field(default_factory=lambda: defaultdict(list))  # op -> seconds
    statuses: dict = field(default_factory=lambda: defaultdict(Counter))  # op -> status -> n
    unexpected: list = field(default_factory=list)  # (op, status, body)
    lost: list = field(default_factory=list)  # (op, error)
    follows: Counter = field(default_factory=Counter)  # (follower, following) -> acknowledged follows
    unfollows: Counter = field(default_factory=Counter)  # (follower, following) -> acknowledged deletes
    signed_up: list = field(default_factory=list)
    checklists_created: int = 0
    regrets_created: int = 0
    regrets_resolved: int = 0
    readbacks: int = 0
    # ((follower, target), follow sent, read-back answered): a follow its list did not show
    readback_misses: list = field(default_factory=list)
    # (follower, target) -> [(sent, answered)] of the target's acknowledged removals of that follower
    removals: dict = field(default_factory=lambda: defaultdict(list))


class SimulatedUser:
    def __init__(self, client, everyone, results, rng, options):
        self.client, self.everyone, self.results, self.rng, self.options = client, everyone, results, rng, options
        self.name = self.tokens = None
        self.checklists = []
        self.unresolved = defaultdict(list)  # checklist id -> regret ids
        self.allow_networking = True
        # Names seen on each side of this user's links (may be stale: others act too).
        self.following = set()
        self.followers = set()

    async def call(self, op, method, path, *, body=None, auth=True, expected=None):
        headers = {"Authorization": f"Bearer {self.tokens['access']}"} if auth else {}
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            self.results.lost.append((op, repr(exc)))
            return None
        self.results.latencies[op].append(time.perf_counter() - started)
        self.results.statuses[op][response.status_code] += 1
        if response.status_code not in (expected or MIX[op][1]):
            self.results.unexpected.append((op, response.status_code, response.text[:300]))
            return None
        return response

    async def sign_up(self, op="sign_up"):
        name = f"load_{uuid.uuid4().hex[:16]}"
        body = {"username": name}
        if self.rng.randrange(self.options.password_every) == 0:
            body["password"] = PASSWORD
        response = await self.call(op, "POST", "/auth/user/", body=body, auth=False, expected={201})
        if response is None:
            return None
        self.results.signed_up.append(name)
        self.everyone.append(name)  # the names the simulated users know of each other, to follow
        return name, response.json()["tokens"]

    async def start(self):
        joined = await self.sign_up()
        if joined is None:
            return False
        self.name, self.tokens = joined
        return True

    def _someone(self, known=()):
        """Mostly someone from `known` (so unfollows and removals find links), else anyone."""
        if known and self.rng.random() < 0.8:
            return self.rng.choice(sorted(known))
        return self.rng.choice(self.everyone)

    async def follow(self):
        target = self._someone()
        sent = time.monotonic()
        response = await self.call("follow", "POST", f"/api/network/follow/{quote(target)}/")
        if response is not None and response.status_code == 201:
            self.results.follows[(self.name, target)] += 1
            self.following.add(target)
            if self.options.readback:
                await self._read_back(target, sent)

    async def _read_back(self, target, follow_sent):
        response = await self.call("follow_readback", "GET", "/api/network/list/following/", expected={200})
        if response is not None:
            self.results.readbacks += 1
            if target not in {entry["username"] for entry in response.json()["users"]}:
                self.results.readback_misses.append(((self.name, target), follow_sent, time.monotonic()))

    async def unfollow(self):
        target = self._someone(self.following)
        self.following.discard(target)
        response = await self.call("unfollow", "DELETE", f"/api/network/unfollow/{quote(target)}/")
        if response is not None and response.status_code == 200:
            self.results.unfollows[(self.name, target)] += 1

    async def follower_remove(self):
        follower = self._someone(self.followers)
        self.followers.discard(follower)
        sent = time.monotonic()
        response = await self.call("follower_remove", "DELETE", f"/api/network/followers/{quote(follower)}/")
        if response is not None and response.status_code == 200:
            self.results.unfollows[(follower, self.name)] += 1
            self.results.removals[(follower, self.name)].append((sent, time.monotonic()))

    async def network_list(self):
        kind = self.rng.choice(["following", "followers"])
        response = await self.call("network_list", "GET", f"/api/network/list/{kind}/")
        if response is not None:
            names = {entry["username"] for entry in response.json()["users"]}
            setattr(self, kind, names)

    async def validate(self):
        await self.call("validate", "GET", f"/api/network/validate/{quote(self._someone())}/")

    async def checklist_day(self):
        # Today where the user is, in one of four time zones: a past day's checklist is closed
        # to new regrets (409 day_closed), and a day more than 10 minutes ahead is refused.
        # The first call for a zone's day creates it (201), later ones find it (200).
        local = datetime.now(timezone(self.rng.choice(OFFSETS))).isoformat(timespec="seconds")
        response = await self.call("checklist_day", "POST", "/api/checklists/", body={"local_datetime": local})
        if response is not None:
            checklist_id = response.json()["id"]
            if response.status_code == 201:
                self.results.checklists_created += 1
                self.checklists.append(checklist_id)

    async def regret_add(self):
        if not self.checklists:
            return await self.checklist_day()
        checklist_id = self.rng.choice(self.checklists)
        response = await self.call(
            "regret_add", "POST", f"/api/checklists/{checklist_id}/regrets/", body={"description": "go for a walk"}
        )
        if response is not None:
            self.results.regrets_created += 1
            self.unresolved[checklist_id].append(response.json()["id"])

    async def regret_resolve(self):
        open_ = [checklist_id for checklist_id, regrets in self.unresolved.items() if regrets]
        if not open_:
            return await self.regret_add()
        checklist_id = self.rng.choice(open_)
        regret_id = self.unresolved[checklist_id].pop()
        path = f"/api/checklists/{checklist_id}/regrets/{regret_id}/"
        if await self.call("regret_resolve", "PATCH", path, body={"success": True}):
            self.results.regrets_resolved += 1

    async def checklist_list(self):
        await self.call("checklist_list", "GET", "/api/checklists/")

    async def history(self):
        await self.call("history", "GET", "/api/checklists/history/")

    async def settings_toggle(self):
        # Mostly on: a network where nobody can be followed tests little.
        allow = not self.allow_networking or self.rng.random() < 0.5
        if await self.call("settings_toggle", "PATCH", "/api/network/settings/", body={"allow_networking": allow}):
            self.allow_networking = allow

    async def token_refresh(self):
        response = await self.call(
            "token_refresh", "POST", "/auth/jwt/refresh/", body={"refresh": self.tokens["refresh"]}, auth=False
        )
        if response is not None:
            self.tokens = response.json()

    async def run(self, deadline):
        ops = list(MIX)
        weights = [MIX[op][0] for op in ops]
        low, high = self.options.think_ms
        while time.monotonic() < deadline:
            op = self.rng.choices(ops, weights)[0]
            await getattr(self, op)()
            await asyncio.sleep(self.rng.uniform(low, high) / 1000)


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def drive(base_url, options, results, *, transport=None):
    """`transport` (optional) sends the requests elsewhere, e.g. over several servers (tests/cluster)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one log line per request
    limits = httpx.Limits(max_connections=options.users + 10, max_keepalive_connections=options.users + 10)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT, limits=limits, transport=transport
    ) as client:
        everyone = []
        rng = random.Random(options.seed)
        users = [
            SimulatedUser(client, everyone, results, random.Random(rng.random()), options) for _ in range(options.users)
        ]
        started = await asyncio.gather(*(user.start() for user in users))
        deadline = time.monotonic() + options.seconds
        began = time.monotonic()
        await asyncio.wait_for(
            asyncio.gather(*(user.run(deadline) for user, ok in zip(users, started) if ok)),
            timeout=options.seconds + 2 * REQUEST_TIMEOUT,
        )
        return time.monotonic() - began


def check_database(database_url, results):
    """Compare the database with every write the server acknowledged; the list of mismatches:
    every user's counts equal rr_network's, none negative; each follow pair exists exactly when its
    acknowledged follows outnumber its acknowledged deletes (they alternate); users, checklists,
    regrets and resolved regrets number exactly the 201s and 200s."""
    problems = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        drift = conn.execute(
            """
            SELECT u.username, u.followers_count, COALESCE(fr.n, 0), u.following_count, COALESCE(fg.n, 0)
            FROM rr_user u
            LEFT JOIN (SELECT following_id AS id, COUNT(*) AS n FROM rr_network GROUP BY 1) fr ON fr.id = u.id
            LEFT JOIN (SELECT follower_id AS id, COUNT(*) AS n FROM rr_network GROUP BY 1) fg ON fg.id = u.id
            WHERE u.followers_count <> COALESCE(fr.n, 0) OR u.following_count <> COALESCE(fg.n, 0)
               OR u.followers_count < 0 OR u.following_count < 0
            """
        ).fetchall()
        if drift:
            problems.append(f"{len(drift)} users' counts differ from rr_network, e.g. {drift[:3]}")
        pairs = set(
            conn.execute(
                """
                SELECT a.username, b.username FROM rr_network n
                JOIN rr_user a ON a.id = n.follower_id JOIN rr_user b ON b.id = n.following_id
                """
            ).fetchall()
        )
        for pair in set(results.follows) | set(results.unfollows) | pairs:
            balance = results.follows[pair] - results.unfollows[pair]
            if balance not in (0, 1) or bool(balance) != (pair in pairs):
                problems.append(
                    f"pair {pair}: {results.follows[pair]} follows and {results.unfollows[pair]} deletes "
                    f"acknowledged, {'present' if pair in pairs else 'absent'} in rr_network"
                )
        (users,) = conn.execute("SELECT count(*) FROM rr_user").fetchone()
        (checklists,) = conn.execute("SELECT count(*) FROM rr_checklist").fetchone()
        (regrets, resolved) = conn.execute("SELECT count(*), count(*) FILTER (WHERE success) FROM rr_regret").fetchone()
    for what, stored, acknowledged in (
        ("users", users, len(results.signed_up)),
        ("checklists", checklists, results.checklists_created),
        ("regrets", regrets, results.regrets_created),
        ("resolved regrets", resolved, results.regrets_resolved),
    ):
        if stored != acknowledged:
            problems.append(f"{what}: {stored} in the database, {acknowledged} acknowledged")
    return problems, {"users": users, "follow_pairs": len(pairs), "checklists": checklists, "regrets": regrets}


@dataclass
class Report:
    options: Options
    seconds: float
    operations: int
    by_op: dict
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_errors: int
    lost: int
    unexpected: list
    problems: list
    stored: dict

    @property
    def ok(self):
        return not (self.server_errors or self.lost or self.unexpected or self.problems)

    def summary(self):
        lines = [
            f"load: {self.options.users} users, {self.seconds:.1f} s, {self.options.workers} gunicorn workers",
            f"operations: {self.operations} ({self.operations / self.seconds:.0f}/s), "
            f"5xx: {self.server_errors}, requests lost: {self.lost}, unexpected answers: {len(self.unexpected)}",
            f"latency ms: p50 {self.p50_ms:.1f}, p95 {self.p95_ms:.1f}, p99 {self.p99_ms:.1f}, max {self.max_ms:.1f}",
            f"stored afterwards: {self.stored}",
            f"database check: {'exact' if not self.problems else '; '.join(self.problems[:5])}",
        ]
        for op, figures in sorted(self.by_op.items()):
            statuses = " ".join(f"{status}:{n}" for status, n in sorted(figures["statuses"].items()))
            lines.append(f"  {op:<16} {figures['count']:>6}  p99 {figures['p99_ms']:>7.1f} ms  {statuses}")
        for op, status, body in self.unexpected[:5]:
            lines.append(f"  unexpected {op} {status}: {body}")
        return "\n".join(lines)

    def as_json(self):  # the statuses' integer keys become strings in JSON
        figures = {key: value for key, value in vars(self).items() if key not in ("options", "unexpected")}
        return figures | {
            "users": self.options.users,
            "workers": self.options.workers,
            "unexpected": len(self.unexpected),
        }


def run(options=None, *, database_name=None, log_dir=None):
    """One load run, start to finish (database, server, traffic, checks, clean-up); the Report."""
    options = options or Options()
    database_name = database_name or derived_name("load")
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="rr_load_"))
    env_for_migrate = app_env("")
    with migrated_database(database_name, env_for_migrate) as database_url:
        results = Results()
        with Gunicorn(app_env(database_url), workers=options.workers, log_path=log_dir / "gunicorn.log") as server:
            elapsed = asyncio.run(drive(server.url, options, results))
        problems, stored = check_database(database_url, results)
    return report_from(options, elapsed, results, problems, stored)


def report_from(options, elapsed, results, problems, stored):
    """The Report of a run: its Results, and check_database's problems and stored figures."""
    every = [latency for op in results.latencies.values() for latency in op]
    by_op = {
        op: {
            "count": len(values),
            "p99_ms": percentile(values, 0.99) * 1000,
            "statuses": dict(results.statuses[op]),
        }
        for op, values in results.latencies.items()
    }
    return Report(
        options=options,
        seconds=elapsed,
        operations=len(every),
        by_op=by_op,
        p50_ms=(percentile(every, 0.50) or 0) * 1000,
        p95_ms=(percentile(every, 0.95) or 0) * 1000,
        p99_ms=(percentile(every, 0.99) or 0) * 1000,
        max_ms=max(every, default=0) * 1000,
        server_errors=sum(n for op in results.statuses.values() for status, n in op.items() if status >= 500),
        lost=len(results.lost),
        unexpected=results.unexpected,
        problems=problems
        + [
            f"read-your-writes: a follow missing from the list read right after it: {pair}"
            for pair in read_your_writes_violations(results)
        ],
        stored={**stored, "readbacks": results.readbacks} if options.readback else stored,
    )


def read_your_writes_violations(results):
    """The follows missing from the list read right after them that no removal explains: the
    target may remove its new follower (op follower_remove) between the follow and the read-back,
    and a removal that overlapped that window makes the miss correct, not a violation."""
    return [
        pair
        for pair, follow_sent, read_answered in results.readback_misses
        if not any(sent < read_answered and answered > follow_sent for sent, answered in results.removals[pair])
    ]


def write_json(report, path):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report.as_json(), indent=2))
