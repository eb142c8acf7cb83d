"""The results table: one row per figure, with its target and whether this run met it."""

# Targets of issue 5.
LIST_RATIO_MAX = 8.0
CHECKLIST_RATIO_MAX = 1.2
FOLLOW_SHARE_MIN = 0.60
REPAIR_RATIO_MAX = 1.5
REPAIR_MEMORY_FLAT = 1.10  # peak RSS at 1M users within 10 % of that at 100k
MIGRATION_BLOCK_MAX_MS = 50.0


def _verdict(ok):
    return "met" if ok else "MISSED"


def _slash(values, fmt="{:.1f}"):
    return " / ".join(fmt.format(value) for value in values)


def _median_ratio(numerators, denominators):
    ratios = sorted(n["ops_per_s"] / d["ops_per_s"] for n, d in zip(numerators, denominators) if d["ops_per_s"])
    if not ratios:
        return 0.0
    middle = len(ratios) // 2
    return ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2


def rows(results):
    """[(benchmark, figure, value, target, verdict)] for whatever phases ran."""
    out = []
    app = results.get("app")
    if app:
        lst = app["list"]
        sizes = sorted(lst, key=int)
        per_request = [lst[s]["queries"] / lst[s]["requests"] for s in sizes]
        medians = [lst[s]["median_ms"] for s in sizes]
        label = "N=" + "/".join(sizes)
        out.append(
            (
                "1 list",
                f"SQL queries per request, {label}",
                _slash(per_request, "{:g}") + f" ({_slash([lst[s]['queries'] for s in sizes], '{:d}')} for all pages)",
                "constant in N",
                _verdict(len(set(per_request)) == 1),
            )
        )
        out.append(("1 list", f"median ms, every page, {label}", _slash(medians), "", ""))
        ratio = medians[-1] / medians[0]
        out.append(
            (
                "1 list",
                f"time ratio N={sizes[-1]} : N={sizes[0]}",
                f"{ratio:.2f}x",
                f"<= {LIST_RATIO_MAX:g}x",
                _verdict(ratio <= LIST_RATIO_MAX),
            )
        )
        chk = app["checklist"]
        sizes = sorted(chk, key=int)
        label = "/".join(sizes) + " past"
        out.append(
            (
                "2 checklist",
                f"SQL queries found (200) / created (201), {label}",
                _slash([chk[s]["found_queries"] for s in sizes], "{:d}")
                + "  |  "
                + _slash([chk[s]["created_queries"] for s in sizes], "{:d}"),
                "constant",
                _verdict(
                    len({chk[s]["found_queries"] for s in sizes}) == 1
                    and len({chk[s]["created_queries"] for s in sizes}) == 1
                ),
            )
        )
        for path in ("found", "created"):
            medians = [chk[s][f"{path}_median_ms"] for s in sizes]
            ratio = medians[-1] / medians[0]
            out.append(("2 checklist", f"median ms {path}, {label}", _slash(medians, "{:.2f}"), "", ""))
            out.append(
                (
                    "2 checklist",
                    f"{path}: ratio {sizes[-1]} : {sizes[0]}",
                    f"{ratio:.2f}x",
                    f"<= {CHECKLIST_RATIO_MAX:g}x",
                    _verdict(ratio <= CHECKLIST_RATIO_MAX),
                )
            )
        q = app["queries"]
        out.append(
            (
                "3 follow",
                "SQL statements: follow / unfollow / settings (ceiling)",
                f"{q['follow']} / {q['unfollow']} / {q['settings']}",
                "",
                "",
            )
        )
        ms = app.get("follow_ms")
        if ms:
            out.append(
                (
                    "3 follow",
                    "in process, median ms: follow / unfollow / settings",
                    f"{ms['follow']:.2f} / {ms['unfollow']:.2f} / {ms['settings']:.2f}",
                    "",
                    "",
                )
            )
    http = results.get("http")
    if http:
        totals = http["totals"]
        ceiling, follow, hot = totals["ceiling"], totals["follow"], totals["hot"]
        # Rounds interleave ceiling, follow, hot: each round's ratio is taken side by side,
        # and their median resists other work starting or stopping on the machine.
        rounds = http["rounds"]
        share = _median_ratio(rounds["follow"], rounds["ceiling"])
        hot_share = _median_ratio(rounds["hot"], rounds["follow"])
        clients, workers = http["clients"], http["workers"]
        out.append(
            (
                "3 follow",
                f"ceiling: GET settings/, {clients} clients, {workers} workers",
                f"{ceiling['ops_per_s']:.0f} req/s",
                "",
                "",
            )
        )
        out.append(("3 follow", "follow+unfollow, spread out", f"{follow['ops_per_s']:.0f} ops/s", "", ""))
        out.append(
            (
                "3 follow",
                f"follow+unfollow : ceiling (median of {len(rounds['follow'])} rounds)",
                f"{share:.0%} (rounds {_slash([r['ops_per_s'] / c['ops_per_s'] for r, c in zip(rounds['follow'], rounds['ceiling'])], '{:.0%}')})",
                f">= {FOLLOW_SHARE_MIN:.0%}",
                _verdict(share >= FOLLOW_SHARE_MIN),
            )
        )
        out.append(
            (
                "3 follow",
                "hot user: ops/s, share of spread out (median of rounds)",
                f"{hot['ops_per_s']:.0f} ops/s, {hot_share:.0%}",
                "report",
                "",
            )
        )
        cpu = [t["server_cpu_ms_per_op"] + t["database_cpu_ms_per_op"] for t in (ceiling, follow)]
        out.append(
            (
                "3 follow",
                "same from CPU per request (app + PostgreSQL): ceiling / follow",
                f"{cpu[0] / cpu[1]:.0%}",
                "",
                "",
            )
        )
        out.append(
            (
                "3 follow",
                "CPU ms/op app / PostgreSQL: ceiling | spread | hot",
                " | ".join(
                    f"{t['server_cpu_ms_per_op']:.1f} / {t['database_cpu_ms_per_op']:.1f}"
                    for t in (ceiling, follow, hot)
                ),
                "",
                "",
            )
        )
        out.append(
            (
                "3 follow",
                "backends waiting on a lock (mean): spread | hot",
                f"{follow['lock_waiting']:.2f} | {hot['lock_waiting']:.2f}",
                "",
                "",
            )
        )
        out.append(
            (
                "3 follow",
                "median / p95 ms: ceiling | spread | hot",
                " | ".join(f"{t['median_ms']:.0f} / {t['p95_ms']:.0f}" for t in (ceiling, follow, hot)),
                "",
                "",
            )
        )
        errors = sum(t["errors"] for t in totals.values()) + http["list_load"]["errors"]
        out.append(("3 follow", "failed requests", str(errors), "0", _verdict(errors == 0)))
        seq = http["list_http_median_ms"]
        out.append(
            (
                "1 list",
                "through gunicorn: median ms N=10 / 1000",
                f"{seq['10']:.1f} / {seq['1000']:.1f}" if "10" in seq else _slash(seq.values()),
                "",
                "",
            )
        )
        before = max(m["VmHWM"] for m in http["worker_rss_before_kib"].values()) / 1024
        after = max(m["VmHWM"] for m in http["worker_rss_after_list_kib"].values()) / 1024
        out.append(("6 memory", "gunicorn worker peak RSS (VmHWM), after start-up", f"{before:.1f} MiB", "", ""))
        out.append(("6 memory", "gunicorn worker peak RSS after listing N=1000", f"{after:.1f} MiB", "report", ""))
    counts = results.get("counts")
    if counts:
        for c in counts:
            label = f"{c['users'] / 1e6:g}M users, {c['follows'] / 1e6:.1f}M follows, {c['drifting']:,} drifted"
            out.append(
                (
                    "4 counts",
                    f"{label}: raw SQL s / command s (start-up s; without bytecode cache)",
                    f"{c['raw_seconds']:.2f} / {c['command_seconds']:.2f} ({c['startup_seconds']:.2f}; "
                    f"{c['startup_uncached_seconds']:.2f})",
                    "",
                    "",
                )
            )
            out.append(
                (
                    "4 counts",
                    f"{label}: command : raw SQL (without start-up)",
                    f"{c['ratio']:.2f}x ({c['ratio_without_startup']:.2f}x)",
                    f"<= {REPAIR_RATIO_MAX:g}x",
                    _verdict(c["ratio"] <= REPAIR_RATIO_MAX),
                )
            )
            out.append(
                (
                    "4 counts",
                    f"{label}: slowest scan, no locks (scans)",
                    f"{c['slowest_scan_ms']:.1f} ms ({c['scans']} scans)",
                    "",
                    "",
                )
            )
            out.append(
                (
                    "4 counts",
                    f"{label}: longest lock (repair batches)",
                    f"{c['slowest_batch_ms']:.1f} ms ({c['batches']} batches)",
                    "",
                    "",
                )
            )
            out.append(
                (
                    "4 counts",
                    f"{label}: peak RSS / drift left",
                    f"{c['peak_rss_mib']:.1f} MiB / {c['drift_left']}",
                    "/ 0",
                    _verdict(c["drift_left"] == 0),
                )
            )
        if len(counts) > 1:
            growth = counts[-1]["peak_rss_mib"] / counts[0]["peak_rss_mib"]
            out.append(
                (
                    "4 counts",
                    f"peak RSS {counts[-1]['users'] / 1e6:g}M : {counts[0]['users'] / 1e6:g}M users",
                    f"{growth:.2f}x",
                    f"flat (<= {REPAIR_MEMORY_FLAT:g}x)",
                    _verdict(growth <= REPAIR_MEMORY_FLAT),
                )
            )
    mig = results.get("migration")
    if mig:
        names = "+".join(applied.split("_")[0] for applied in mig["applied"])
        out.append(
            (
                "5 migration",
                f"{names} on {mig['users'] / 1e6:g}M users: total",
                f"{mig['migration_seconds']:.2f} s",
                "",
                "",
            )
        )
        out.append(
            (
                "5 migration",
                "longest block of the traffic connection",
                f"{mig['longest_block_ms']:.1f} ms (baseline {mig['baseline_ms']:.1f})",
                f"< {MIGRATION_BLOCK_MAX_MS:g} ms",
                _verdict(mig["longest_block_ms"] < MIGRATION_BLOCK_MAX_MS),
            )
        )
        later = mig.get("later")
        if later:
            names = "+".join(applied.split("_")[0] for applied in later["applied"])
            out.append(
                (
                    "5 migration",
                    f"then {names} (same table, same traffic): total / longest block",
                    f"{later['migration_seconds']:.2f} s / {later['longest_block_ms']:.1f} ms",
                    "",
                    "",
                )
            )
    if results.get("wrk"):
        from bench import wrk

        out.extend(wrk.rows(results["wrk"]))
    return out


def _header(results):
    m = results["machine"]
    return (
        f"mode {results['mode']}, {results['started']}, {results.get('seconds', 0):.0f} s; "
        f"{m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB; PostgreSQL {m['postgresql']}, "
        f"Redis {m['redis']}, Python {m['python']}; load average {m['loadavg_start'][0]:.2f} at start, "
        f"{m.get('loadavg_end', [0])[0]:.2f} at end"
    )


def table(results):
    """The table as plain text, columns aligned."""
    header = ("bench", "figure", "value", "target", "")
    body = rows(results)
    widths = [max(len(str(row[i])) for row in [header, *body]) for i in range(len(header))]
    lines = [_header(results), ""]
    for row in [header, *body]:
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if row is header:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown(results):
    """The same table in Markdown, for docs/BENCHMARKS.md."""
    lines = [_header(results), "", "| bench | figure | value | target | |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows(results)]
    return "\n".join(lines) + "\n"
