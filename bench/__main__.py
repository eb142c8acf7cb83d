"""`python -m bench [--mode quick|full] [--only PHASE,...] [--profile]`: run the benchmarks, print the table.

Phases (all but `http` by default, in this order):
  app        benchmarks 1 and 2 in process (and the data the HTTP phase uses)
  wrk        benchmark 7 (bench/wrk.py): wrk against gunicorn with 2 workers, statements
             counted by PostgreSQL, the raw-SQL ceiling (pgbench) beside it; its own cluster
  http       benchmarks 3 and 6 with Python clients and 4 workers, the CPU split of a follow
             (needs `app`, which it then runs too); not by default: wrk measures throughput
  counts     benchmark 4, initialize_network_counts at 100k and 1M users
  migration  benchmark 5, migrations 0004 + 0005 on 1M users under traffic
`--profile` also writes pyinstrument profiles of the main requests (bench/results/).

Everything runs against BENCH_DATABASE_URL's server (databases rr_bench_*, dropped
after use) and BENCH_REDIS_URL (default redis://127.0.0.1:6379/5). The table goes to
stdout and, with the raw figures, to bench/results/.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import env

MODES = {
    "quick": {
        "list_repeats": 15,
        "checklist_repeats": 60,
        "follow_repeats": 100,
        "workers": 4,
        "http_rounds": 4,
        "http_seconds": 3.0,
        "list_load_seconds": 5.0,
        "http_list_repeats": 10,
        "counts": [(100_000, 10), (1_000_000, 3)],
        "migration_users": 1_000_000,
        "profile_seconds": 3.0,
        "wrk_rounds": 3,
        "wrk_seconds": 4,
    },
    "full": {
        "list_repeats": 50,
        "checklist_repeats": 300,
        "follow_repeats": 400,
        "workers": 4,
        "http_rounds": 8,
        "http_seconds": 6.0,
        "list_load_seconds": 15.0,
        "http_list_repeats": 30,
        "counts": [(100_000, 10), (1_000_000, 10)],
        "migration_users": 1_000_000,
        "profile_seconds": 10.0,
        "wrk_rounds": 5,
        "wrk_seconds": 8,
    },
}
PHASES = ("app", "wrk", "http", "counts", "migration")
DEFAULT_PHASES = ("app", "wrk", "counts", "migration")
LIST_SIZES = [10, 100, 1000]
HISTORY_SIZES = [30, 365, 1000]
CLIENTS = 8


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def phase_app(cfg, *, profile):
    from tests.support import pg

    name = pg.scratch_name("app")
    log(f"app: building {name}")
    pg.create_database(name)
    pg.manage(name, "migrate", "--noinput")
    config = {
        "list_sizes": LIST_SIZES,
        "checklists_per_friend": 30,
        "history_sizes": HISTORY_SIZES,
        "load_clients": CLIENTS,
        "targets_per_client": 50,
        "list_repeats": cfg["list_repeats"],
        "checklist_repeats": cfg["checklist_repeats"],
        "follow_repeats": cfg["follow_repeats"],
        "profile": profile,
        "profile_seconds": cfg["profile_seconds"],
    }
    config_path = env.RESULTS / "inproc_config.json"
    out_path = env.RESULTS / "inproc_result.json"
    config_path.write_text(json.dumps(config))
    log("app: network list and checklist of the day, in process" + (" (then profiles)" if profile else ""))
    subprocess.run(
        [env.PYTHON, "-m", "bench.app", str(config_path), str(out_path)],
        cwd=env.REPO,
        env={**os.environ, "DATABASE_URL": pg.database_url(name)},
        check=True,
    )
    return json.loads(out_path.read_text())


def phase_http(cfg, app):
    import httpx

    from bench import http
    from tests.support import pg

    url = pg.database_url(pg.scratch_name("app"))
    tokens = app["http"]["client_tokens"]
    targets = app["http"]["client_targets"]
    viewer_tokens = app["http"]["viewer_tokens"]
    figures = {"workers": cfg["workers"], "clients": len(tokens)}
    log(f"http: gunicorn, {cfg['workers']} sync workers")
    with http.Server(url, workers=cfg["workers"]) as server:
        http.load(server, url, "warm-up", tokens, http.settings_scenario, 1.0)
        figures["worker_rss_before_kib"] = {pid: http.memory_kib(pid) for pid in server.worker_pids()}

        log("http: list through HTTP, then 8 clients listing N=1000 (memory)")
        sequential = {}
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for size in (10, 1000):
                headers = {"Authorization": f"Bearer {viewer_tokens[str(size)]}"}
                samples = []
                for _ in range(cfg["http_list_repeats"] + 2):
                    started = time.perf_counter()
                    cursor = None
                    while True:
                        response = client.get(
                            "/api/network/list/following/",
                            params={"cursor": cursor} if cursor else None,
                            headers=headers,
                        )
                        response.raise_for_status()
                        cursor = response.json()["next_cursor"]
                        if cursor is None:
                            break
                    samples.append(time.perf_counter() - started)
                sequential[size] = statistics.median(samples[2:]) * 1000
        figures["list_http_median_ms"] = sequential
        list_load = http.load(
            server,
            url,
            "list N=1000",
            [viewer_tokens["1000"]] * len(tokens),
            http.list_scenario,
            cfg["list_load_seconds"],
        )
        figures["list_load"] = list_load.as_dict()
        figures["worker_rss_after_list_kib"] = {pid: http.memory_kib(pid) for pid in server.worker_pids()}

        scenarios = {
            "ceiling": http.settings_scenario,
            "follow": http.follow_scenario(targets),
            "hot": http.hot_scenario(app["http"]["hot_username"]),
        }
        rounds = {name: [] for name in scenarios}
        for number in range(1, cfg["http_rounds"] + 1):
            for name, step in scenarios.items():
                log(
                    f"http: round {number}/{cfg['http_rounds']}: {name}, {len(tokens)} clients, {cfg['http_seconds']} s"
                )
                rounds[name].append(http.load(server, url, name, tokens, step, cfg["http_seconds"]))
        figures["rounds"] = {name: [r.as_dict() for r in results] for name, results in rounds.items()}
        figures["totals"] = {name: http.merge(name, results).as_dict() for name, results in rounds.items()}
    return figures


def phase_wrk(cfg):
    from bench import wrk

    return wrk.run(rounds=cfg["wrk_rounds"], seconds=cfg["wrk_seconds"], trees=[("this", env.REPO)])


def phase_counts(cfg):
    from bench import repair

    results = []
    for users, per_user in cfg["counts"]:
        log(f"counts: {users:,} users")
        results.append(repair.run(users=users, follows_per_user=per_user, log=log))
    return results


def phase_migration(cfg):
    from bench import migration

    log(f"migration: {cfg['migration_users']:,} users")
    return migration.run(users=cfg["migration_users"], log=log)


def machine():
    import psycopg
    import redis

    from tests.support import pg

    with pg.connect(pg.MAINTENANCE_DB) as conn:
        (postgres,) = conn.execute("SHOW server_version").fetchone()
    try:
        redis_version = redis.Redis.from_url(env.bench_redis_url()).info("server")["redis_version"]
    except redis.RedisError as exc:
        redis_version = f"unreachable ({exc})"
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "cpu": _cpu_model(),
        "postgresql": postgres,
        "redis": redis_version,
        "python": platform.python_version(),
        "psycopg": psycopg.__version__,
        "loadavg_start": os.getloadavg(),
    }


def _cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="quick")
    parser.add_argument(
        "--only", default=",".join(DEFAULT_PHASES), help=f"comma-separated phases among {', '.join(PHASES)}"
    )
    parser.add_argument("--profile", action="store_true", help="also profile the main requests with pyinstrument")
    args = parser.parse_args(argv)
    phases = [phase for phase in args.only.split(",") if phase]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    if "http" in phases and "app" not in phases:
        phases.insert(0, "app")
    cfg = MODES[args.mode]

    env.use_bench_server()
    # Every subprocess (manage.py, gunicorn, the in-process phase) gets the bench settings;
    # tests.support.pg sets DATABASE_URL per database.
    os.environ.update(dict(env.app_settings_env(env.bench_database_url()).items()))
    env.RESULTS.mkdir(parents=True, exist_ok=True)

    from bench import report
    from tests.support import pg

    started = time.perf_counter()
    results = {"mode": args.mode, "started": datetime.now(UTC).isoformat(timespec="seconds")}
    results["machine"] = machine()
    log(f"mode {args.mode}: {', '.join(phases)}")
    try:
        if "app" in phases:
            results["app"] = phase_app(cfg, profile=args.profile)
        if "wrk" in phases:
            results["wrk"] = phase_wrk(cfg)
        if "http" in phases:
            results["http"] = phase_http(cfg, results["app"])
        if "counts" in phases:
            results["counts"] = phase_counts(cfg)
        if "migration" in phases:
            results["migration"] = phase_migration(cfg)
    finally:
        if "app" in phases:
            pg.drop_database(pg.scratch_name("app"))
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["seconds"] = time.perf_counter() - started
    if "app" in results:
        results["app"].pop("http", None)  # tokens: not a result

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    table = report.table(results)
    (env.RESULTS / f"bench-{args.mode}-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    (env.RESULTS / f"bench-{args.mode}-{stamp}.md").write_text(report.markdown(results))
    print(table)
    log(f"done in {results['seconds']:.0f} s; raw figures in bench/results/bench-{args.mode}-{stamp}.json")


if __name__ == "__main__":
    main()
