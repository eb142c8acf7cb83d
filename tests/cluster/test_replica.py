"""Reads on the streaming replica, with read-your-own-writes, lag and outage fallbacks.

Two gunicorn servers on the cluster's `rr` database, both through the pooler with the
replica configured (REPLICA_ROUTE_HEADER on: each lag-tolerant answer says which server
served it):
- `tolerant` uses the replica at up to 30 s of lag, and pins a writer for 3 s;
- `strict` stops using it past 1 s of lag.
Lag-tolerant reads: the network lists, validate, the history (the API's and the web
page's) and the account (rr/common/routers.py REPLICA_READ_VIEWS).
Staleness is made real with pg_wal_replay_pause() on the replica: what it serves then
cannot contain the writes made meanwhile.
"""

import re
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest

from bench.cluster import ROUTE_HEADER, app_server, start_all, stop_all

pytestmark = pytest.mark.slow

PIN_SECONDS = 3


@pytest.fixture(scope="module")
def servers(cluster, cluster_db, static_root, tmp_path_factory):
    logs = tmp_path_factory.mktemp("replica_logs")
    shared = f"rr_replica_{uuid.uuid4().hex[:8]}"  # one cache: a pin set by one server holds on the other
    common = {"workers": 1, "replica": True, "cache_prefix": shared, "LOG_LEVEL": "WARNING", "STATIC_ROOT": static_root}
    tolerant = app_server(
        cluster, "rr", log_path=logs / "tolerant.log",
        REPLICA_MAX_LAG_SECONDS=30, READ_YOUR_WRITES_SECONDS=PIN_SECONDS, **common,
    )  # fmt: skip
    strict = app_server(
        cluster, "rr", log_path=logs / "strict.log", REPLICA_MAX_LAG_SECONDS=1, READ_YOUR_WRITES_SECONDS=1, **common
    )
    start_all([tolerant, strict])
    yield {"tolerant": tolerant, "strict": strict}
    stop_all([tolerant, strict])


@pytest.fixture
def replay_paused(cluster):
    cluster.replica_pause()
    try:
        yield
    finally:
        cluster.replica_resume()


class Client:
    def __init__(self, server, name=None, password=None):
        self.http = httpx.Client(base_url=server.url, timeout=30)
        self.name = name or f"rp_{uuid.uuid4().hex[:10]}"
        account = {"username": self.name} | ({"password": password} if password else {})
        response = self.http.post("/auth/user/", json=account)
        assert response.status_code == 201, response.text
        self.http.headers["Authorization"] = f"Bearer {response.json()['tokens']['access']}"

    def on(self, server):
        """The same user's calls to another server (its token works there: same SECRET_KEY)."""
        other = httpx.Client(base_url=server.url, timeout=30, headers=self.http.headers)
        twin = object.__new__(Client)
        twin.http, twin.name = other, self.name
        return twin

    def call(self, method, path, expect=200, **kwargs):
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text)
        return response

    def names(self, kind):
        """The usernames of a list, and the server that answered."""
        response = self.call("GET", f"/api/network/list/{kind}/")
        return {entry["username"] for entry in response.json()["users"]}, response.headers[ROUTE_HEADER]


class Browser:
    """The web pages, signed in through the welcome form as `name`.

    The servers run with DEBUG off, so their cookies are Secure, which httpx does not send
    over plain HTTP: this browser sends them itself.
    """

    def __init__(self, server, name, password):
        self.http = httpx.Client(base_url=server.url, timeout=30)
        self.cookies = {}
        self.get("/")
        form = {"username": name, "password": password, "action": "login"}
        self.get("/", method="POST", expect=302, data=form | {"csrfmiddlewaretoken": self.cookies["csrftoken"]})

    def get(self, path, method="GET", expect=200, **kwargs):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = self.http.request(method, path, headers={"Accept": "text/html", "Cookie": cookie}, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text[:500])
        self.cookies.update(response.cookies)
        return response


def wait_unpinned():
    time.sleep(PIN_SECONDS + 0.5)


def test_reads_go_to_the_replica_and_a_writer_reads_their_own_writes(cluster, servers, replay_paused):
    server = servers["tolerant"]
    cluster.replica_resume()
    alice, bob = Client(server), Client(server)
    cluster.replica_wait_caught_up()
    wait_unpinned()  # sign-ups are writes: their users read from the primary for a while

    assert bob.names("followers") == (set(), "replica")
    cluster.replica_pause()

    alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)

    # Alice wrote: her reads go to the primary, on this server and on any other.
    assert alice.names("following") == ({bob.name}, "primary")
    assert alice.on(servers["strict"]).names("following") == ({bob.name}, "primary")
    # Bob did not write: his read comes from the replica, which has not replayed the follow.
    assert bob.names("followers") == (set(), "replica")

    alice.call("DELETE", f"/api/network/unfollow/{bob.name}/")
    assert alice.names("following") == (set(), "primary")


def test_a_tick_and_a_settings_change_are_read_back_at_once(cluster, servers, replay_paused):
    server = servers["tolerant"]
    cluster.replica_resume()
    alice, bob, carol = Client(server), Client(server), Client(server)
    alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)
    checklist = alice.call("POST", "/api/checklists/", json={"local_datetime": "2025-06-01T12:00:00+00:00"}, expect=201)
    regret = alice.call(
        "POST", f"/api/checklists/{checklist.json()['id']}/regrets/", json={"description": "walk"}, expect=201
    )
    cluster.replica_wait_caught_up()
    wait_unpinned()
    assert alice.names("following")[1] == "replica"
    cluster.replica_pause()

    alice.call(
        "PATCH", f"/api/checklists/{checklist.json()['id']}/regrets/{regret.json()['id']}/", json={"success": True}
    )
    assert alice.call("GET", "/api/checklists/").json()[0]["regrets"][0]["success"] is True
    assert alice.names("following") == ({bob.name}, "primary")

    bob.call("PATCH", "/api/network/settings/", json={"allow_networking": False})
    assert bob.call("GET", "/api/network/settings/").json()["allow_networking"] is False
    response = bob.call("GET", f"/api/network/validate/{alice.name}/")
    assert response.headers[ROUTE_HEADER] == "primary"
    # Carol did not write: she sees Bob's old setting on the replica until it replays.
    response = carol.call("GET", f"/api/network/validate/{bob.name}/")
    assert (response.headers[ROUTE_HEADER], response.json()["allow_networking"]) == ("replica", True)


def test_the_history_and_the_account_are_read_from_the_replica_and_by_a_writer_from_the_primary(
    cluster, servers, replay_paused
):
    server = servers["tolerant"]
    cluster.replica_resume()
    alice, bob = Client(server), Client(server)
    today = datetime.now(UTC).replace(microsecond=0).isoformat()
    checklist = alice.call("POST", "/api/checklists/", json={"local_datetime": today}, expect=201).json()
    regret = alice.call("POST", f"/api/checklists/{checklist['id']}/regrets/", json={"description": "x"}, expect=201)
    cluster.replica_wait_caught_up()
    wait_unpinned()

    def history(client):
        response = client.call("GET", "/api/checklists/history/?days=2")
        return response.json()["days"][0]["resolved"], response.headers[ROUTE_HEADER]

    def account(client):
        response = client.call("GET", "/auth/user/")
        return response.json()["following_count"], response.json()["followers_count"], response.headers[ROUTE_HEADER]

    # The account is the token's user row, which authentication loads from the primary
    # (deliberately: an ended session must not pass on a lagging replica, c172953), in one
    # statement: it is always the primary's. The history's own reads still go to the replica.
    assert history(alice) == (0, "replica")
    assert account(alice) == (0, 0, "primary")
    cluster.replica_pause()

    alice.call("PATCH", f"/api/checklists/{checklist['id']}/regrets/{regret.json()['id']}/", json={"success": True})
    alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)

    # Alice wrote: her history and her account come from the primary, with her writes.
    assert history(alice) == (1, "primary")
    assert account(alice) == (1, 0, "primary")
    # Bob did not write: his history comes from the replica, which has not replayed the
    # follow; his account is the primary's row, with his new follower at once.
    assert account(bob) == (0, 1, "primary")
    assert history(bob) == (0, "replica")

    # Once her pin is over, the tolerant server (30 s of lag allowed, a 3 s pin: unlike the
    # defaults, the pin ends before the lag limit) reads her from the paused replica again:
    # what it serves is the replica's, raw SQL of the history included.
    wait_unpinned()
    assert history(alice) == (0, "replica")
    assert account(alice) == (1, 0, "primary")


def test_the_web_history_page_is_read_like_the_api_history(cluster, servers, replay_paused):
    server = servers["tolerant"]
    cluster.replica_resume()
    password = f"replica page {uuid.uuid4().hex}"
    alice = Client(server, password=password)
    today = datetime.now(UTC).replace(microsecond=0).isoformat()
    checklist = alice.call("POST", "/api/checklists/", json={"local_datetime": today}, expect=201).json()
    regret = alice.call("POST", f"/api/checklists/{checklist['id']}/regrets/", json={"description": "x"}, expect=201)
    browser = Browser(server, alice.name, password)
    cluster.replica_wait_caught_up()
    wait_unpinned()

    def page():
        response = browser.get("/history/")
        # The table's first row is today, the one day with a checklist: "<resolved> of <regrets>".
        done = re.search(r"<td>(\d+) of 1</td>", response.text)
        return int(done.group(1)), response.headers[ROUTE_HEADER]

    assert page() == (0, "replica")
    cluster.replica_pause()

    # A write through the API pins her user: the browser's reads go to the primary too.
    alice.call("PATCH", f"/api/checklists/{checklist['id']}/regrets/{regret.json()['id']}/", json={"success": True})
    assert page() == (1, "primary")
    wait_unpinned()
    assert page() == (0, "replica")


def test_a_lagging_replica_sends_reads_to_the_primary_with_a_warning(cluster, servers, replay_paused):
    server = servers["strict"]
    cluster.replica_resume()
    alice, bob = Client(server), Client(server)
    cluster.replica_wait_caught_up()
    time.sleep(1.5)  # the strict server pins for 1 s
    assert bob.names("followers") == (set(), "replica")
    cluster.replica_pause()

    alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)
    time.sleep(2.5)  # the replay is now more than REPLICA_MAX_LAG_SECONDS (1 s) behind

    assert bob.names("followers") == ({alice.name}, "primary")
    health = httpx.get(f"{server.url}/health/", timeout=10)
    assert health.status_code == 200
    assert health.json()["checks"]["replica"] == "lagging"
    assert health.json()["replica_lag_seconds"] > 1
    assert "reads go to the primary" in server.log_tail() and '"level": "WARNING"' in server.log_tail()

    cluster.replica_resume()
    cluster.replica_wait_caught_up()
    deadline = time.monotonic() + 10
    while bob.names("followers")[1] != "replica":
        assert time.monotonic() < deadline, "the replica was not used again after catching up"
        time.sleep(0.3)
    assert bob.names("followers") == ({alice.name}, "replica")


def test_a_stopped_replica_leaves_the_service_up_and_is_used_again_once_back(cluster, servers):
    server = servers["tolerant"]
    bob = Client(server)
    wait_unpinned()
    assert bob.names("followers")[1] == "replica"

    cluster.replica_stop()
    try:
        # The first read after the stop may still be routed to the replica: it fails there
        # and is answered again from the primary (no 5xx reaches the client).
        for _ in range(5):
            assert bob.names("followers") == (set(), "primary")
        health = httpx.get(f"{server.url}/health/", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["checks"]["replica"] == "unavailable"
        assert "replica unavailable" in server.log_tail()
    finally:
        cluster.replica_start()

    deadline = time.monotonic() + 15
    while bob.names("followers")[1] != "replica":
        assert time.monotonic() < deadline, "the replica was not used again after it came back"
        time.sleep(0.5)
    assert httpx.get(f"{server.url}/health/", timeout=10).json()["checks"]["replica"] == "ok"


def test_a_writer_reads_from_the_replica_as_soon_as_it_has_replayed_the_write(cluster, servers):
    # Read-your-writes by WAL position, not by clock: within the 3 s after her write, Alice's
    # reads go to the replica once it has replayed the write, on either server.
    server = servers["tolerant"]
    alice, bob = Client(server), Client(server)
    alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)
    cluster.replica_wait_caught_up()
    assert alice.names("following") == ({bob.name}, "replica")
    assert alice.on(servers["strict"]).names("following") == ({bob.name}, "replica")


@pytest.fixture(scope="module")
def cacheless(cluster, cluster_db, static_root, tmp_path_factory):
    """A server whose cache (Redis) does not answer: nothing listens on port 1."""
    server = app_server(
        cluster, "rr", log_path=tmp_path_factory.mktemp("cacheless") / "server.log", workers=1, replica=True,
        cache_prefix="rr_cacheless", LOG_LEVEL="WARNING", STATIC_ROOT=static_root, REDIS_URL="redis://127.0.0.1:1/0",
    )  # fmt: skip
    start_all([server])
    yield server
    stop_all([server])


def _eventually(read, expected, seconds=5):
    """`read()` until it answers `expected` (each answer must be right: only the route may vary)."""
    deadline = time.monotonic() + seconds
    while True:
        names, route = read()
        assert names == expected[0]
        if route == expected[1] or time.monotonic() > deadline:
            return names, route
        time.sleep(0.1)


def test_with_the_cache_down_reads_leave_the_primary_once_the_replica_has_everything(cluster, cacheless):
    # The degraded rule (rr/common/routers.py): without the cache, a writer's last position is
    # unknown, so a read goes to the replica only once it has replayed the primary's current
    # position: never stale, and not every read on the primary.
    alice, bob = Client(cacheless), Client(cacheless)
    alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)
    cluster.replica_wait_caught_up()
    assert _eventually(lambda: alice.names("following"), ({bob.name}, "replica")) == ({bob.name}, "replica")
    cluster.replica_pause()
    try:
        alice.call("DELETE", f"/api/network/unfollow/{bob.name}/")
        assert alice.names("following") == (set(), "primary")
        assert bob.names("followers") == (set(), "primary")  # nobody's read is stale
    finally:
        cluster.replica_resume()


class Writer(threading.Thread):
    """Other users' writes, all the time: back-to-back transactions of two inserts 10 ms
    apart (an app server's transaction spans several round trips, more under load), in a
    database of their own on the cluster's primary (the WAL, hence the replica's replay, is
    the whole cluster's). So some transaction is nearly always open, its WAL not yet
    flushed, and commits are never far apart.
    """

    def __init__(self, cluster, database):
        super().__init__(daemon=True)
        self.connection = cluster.connect("primary", database)
        self.connection.execute("CREATE TABLE IF NOT EXISTS writes (id bigserial PRIMARY KEY, at timestamptz)")
        self.halt = threading.Event()
        self.commits = 0

    def run(self):
        while not self.halt.is_set():
            with self.connection.transaction():
                self.connection.execute("INSERT INTO writes (at) VALUES (clock_timestamp())")
                time.sleep(0.010)
                self.connection.execute("INSERT INTO writes (at) VALUES (clock_timestamp())")
            self.commits += 1

    def committed_since(self, count, seconds=5):
        """Wait until the writer has committed once more after its `count`th commit."""
        deadline = time.monotonic() + seconds
        while self.commits <= count:
            assert self.is_alive() and time.monotonic() < deadline, "the writer does not commit"
            time.sleep(0.001)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.halt.set()
        self.join(10)
        self.connection.close()


@pytest.fixture(scope="module")
def writes_database(cluster):
    name = f"rr_writes_{uuid.uuid4().hex[:8]}"
    cluster.create_database(name)
    return name


def test_with_the_cache_down_and_constant_writes_most_reads_still_go_to_the_replica(
    cluster, cacheless, writes_database
):
    # The degraded rule under constant writes (rr/common/routers.py): the replica is always a
    # little behind, so a read waits up to REPLICA_CATCH_UP_MS for it to pass the primary's
    # position. Asking for the insert position and not waiting (the rule before) sent most of
    # these reads to the primary. Every follow, unfollow and list runs while the writer commits;
    # each list must show them, its user's and the other's.
    alice, bob = Client(cacheless), Client(cacheless)
    routes = Counter()
    with Writer(cluster, writes_database) as writer:

        def read(client, kind, expected):
            writer.committed_since(writer.commits)  # another commit before each read
            names, route = client.names(kind)
            assert names == expected, (kind, route)  # never stale: the follow, then the list, shows it
            routes[route] += 1

        for _ in range(15):
            alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)
            read(alice, "following", {bob.name})
            read(bob, "followers", {alice.name})
            alice.call("DELETE", f"/api/network/unfollow/{bob.name}/")
            read(alice, "following", set())
            read(bob, "followers", set())
    assert routes["replica"] >= 0.5 * sum(routes.values()), routes


class PrivateRedis:
    """A redis-server of the test's own on a spare port, saving nothing: stopped, then started
    again empty on the same port, as a restarted Redis comes back."""

    def __init__(self, folder):
        self.folder = folder
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [*args, "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def on_private_redis(cluster, cluster_db, static_root, private_redis, tmp_path):
    """A server whose cache is `private_redis` (pins for PIN_SECONDS, as the tolerant server's)."""
    server = app_server(
        cluster, "rr", log_path=tmp_path / "server.log", workers=1, replica=True, cache_prefix="rr_outage",
        LOG_LEVEL="WARNING", STATIC_ROOT=static_root, REDIS_URL=private_redis.url,
        REPLICA_MAX_LAG_SECONDS=30, READ_YOUR_WRITES_SECONDS=PIN_SECONDS,
    )  # fmt: skip
    start_all([server])
    yield server
    stop_all([server])


def test_a_write_made_while_the_cache_was_down_is_read_back_once_it_is_up_again(
    cluster, private_redis, on_private_redis, replay_paused
):
    # The write's position could not be stored, and the cache comes back without it: the
    # server keeps to the cache-down rule for READ_YOUR_WRITES_SECONDS after its last failure
    # to reach the cache (rr/common/routers.py), so the paused replica does not serve it.
    server = on_private_redis
    cluster.replica_resume()
    alice, bob = Client(server), Client(server)
    cluster.replica_wait_caught_up()
    wait_unpinned()
    assert alice.names("following") == (set(), "replica")
    cluster.replica_pause()

    private_redis.stop()
    alice.call("POST", f"/api/network/follow/{bob.name}/", expect=201)
    private_redis.start()
    assert alice.names("following") == ({bob.name}, "primary")

    cluster.replica_resume()
    assert _eventually(lambda: alice.names("following"), ({bob.name}, "replica")) == ({bob.name}, "replica")
