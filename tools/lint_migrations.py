"""Lint the SQL of every migration of app `rr` with squawk (plus one rule of our own); exit 1 on any violation.

    python -m tools.lint_migrations              # every rr migration (run by `make test`)
    python -m tools.lint_migrations FILE.sql ... # these SQL files instead (named by file stem)

The SQL is what `manage.py sqlmigrate rr <name>` prints for PostgreSQL, i.e. what
`migrate` runs in production. It needs a PostgreSQL DATABASE_URL: sqlmigrate only
reads `django_migrations` from it, so when the named database does not exist yet (the
`rr` of `make test` usually doesn't: pytest works in `test_rr`) the server's
maintenance database `postgres` is used instead.

Only forward SQL is linted: a migration's reverse exists to remove what it added
(rolling networking back drops its columns and table on purpose).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parents[1]
APP = "rr"
MIGRATIONS_DIR = REPO / APP / "migrations"
PG_VERSION = "15"

# Applied on the live database by the legacy release; `migrate` never runs them there
# again (fresh installs only, on empty tables), so their locks cannot hurt anyone.
LEGACY = {
    "0001_initial",
    "0002_checklist_rr_checklis_user_id_f9470d_idx",
    "0003_alter_checklist_score",
}

# Rules silenced for one migration: {migration: {rule: why}}. A silenced rule that no
# longer fires is reported too, so that this list stays true.
SILENCED = {
    "0004_networking": {
        # followers_count/following_count count users, who have bigint ids but will
        # never number 2**31; int keeps rr_user 8 bytes per row smaller, and the
        # columns are not keys that an id sequence could overrun.
        "prefer-bigint-over-int": "counts of users cannot reach 2**31",
    },
    "0005_validate_user_count_constraints": {
        # VALIDATE CONSTRAINT holds SHARE UPDATE EXCLUSIVE, which blocks no read or
        # write; a timeout would only abort a harmless scan on a large table.
        # (lock_timeout *is* set: the lock still waits behind VACUUM and DDL.)
        "require-statement-timeout": "VALIDATE blocks no reads or writes",
    },
    "0008_checklist_local_date": {
        # A UTC offset in minutes lies within +-1,080 (+-18 h, the most ISO 8601 and
        # Python allow); smallint holds +-32,767.
        "prefer-bigint-over-smallint": "UTC offsets in minutes fit +-1,080",
    },
    "0006_user_username_upper_idx": {
        # CREATE INDEX CONCURRENTLY blocks no reads or writes; a statement timeout would
        # only abort the build half-way and leave an INVALID index to clean up.
        "require-statement-timeout": "CONCURRENTLY blocks no reads or writes",
    },
    "0010_validate_user_daily_goal": {
        # As 0005: VALIDATE holds SHARE UPDATE EXCLUSIVE, which blocks no read or write.
        "require-statement-timeout": "VALIDATE blocks no reads or writes",
    },
    "0013_user_days": {
        # As 0008: last_offset is a UTC offset in minutes (+-1,080).
        "prefer-bigint-over-smallint": "UTC offsets in minutes fit +-1,080",
        # kept_run and longest count days: 2**31 days are almost six million years.
        "prefer-bigint-over-int": "counts of days cannot reach 2**31",
    },
    "0016_notifications": {
        # As 0008: a reminder's UTC offset in minutes lies within -720..840 (its CHECK);
        # a push message's attempts stop at rr/notifications/push.py MAX_ATTEMPTS (6).
        "prefer-bigint-over-smallint": "offsets fit -720..840, attempts stop at 6",
    },
    "0018_routine": {
        # A routine item's description is copied into rr_regret.description, varchar(255):
        # the same type and limit, and a routine item is never resized on its own.
        "prefer-text-field": "the same varchar(255) as rr_regret.description, into which it is copied",
        # A place in a routine of at most 50 items (rr.checklists.services.ROUTINE_LIMIT).
        "prefer-bigint-over-int": "positions 1..50 within one user's routine",
    },
    "0012_checklist_user_days_idx": {
        # As 0006: CREATE INDEX CONCURRENTLY blocks no reads or writes.
        "require-statement-timeout": "CONCURRENTLY blocks no reads or writes",
        # AddIndexConcurrentlyRetryable drops an INVALID leftover of the same name just
        # before (DROP INDEX CONCURRENTLY IF EXISTS), so a rerun starts clean; IF NOT
        # EXISTS would instead keep an INVALID index.
        "prefer-robust-stmts": "the DROP ... IF EXISTS before it makes a rerun start clean",
    },
    "0015_validate_user_fks_cascade": {
        # Each dropped foreign key is replaced by 0014's of the same column (ON DELETE
        # CASCADE), validated just before the drop in the same transaction: the guarantee
        # stays. VALIDATE blocks no reads or writes (as 0010); the drops' own batch sets
        # statement_timeout.
        "ban-drop-constraint": "each is replaced by 0014's cascading one, validated first",
        "require-statement-timeout": "VALIDATE blocks no reads or writes",
    },
}


def squawk_path():
    """The squawk binary installed in this virtualenv by requirements-dev.txt (squawk-cli)."""
    beside_python = Path(sys.executable).parent / "squawk"
    found = beside_python if beside_python.exists() else shutil.which("squawk")
    if not found:
        raise SystemExit("squawk not found: install requirements-dev.txt (squawk-cli)")
    return str(found)


def migration_names():
    """Every migration module of app rr, in order."""
    return sorted(path.stem for path in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py"))


def _with_database(url, name):
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def sqlmigrate_url(url):
    """DATABASE_URL, or its server's maintenance database when the named one is missing."""
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"DATABASE_URL must point at PostgreSQL to lint its SQL, not {url!r}")
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return url
    except psycopg.OperationalError:
        fallback = _with_database(url, "postgres")
        psycopg.connect(fallback, connect_timeout=5).close()
        return fallback


# `manage.py sqlmigrate rr NAME` for each NAME given, in one process (Django starts once, not
# once per migration): {name: what sqlmigrate prints} as JSON on stdout.
_SQLMIGRATE_EACH = """
import io, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.core.management import call_command
sqls = {}
for name in sys.argv[2:]:
    out = io.StringIO()
    call_command("sqlmigrate", sys.argv[1], name, stdout=out)
    sqls[name] = out.getvalue()
json.dump(sqls, sys.stdout)
"""


def sqlmigrate(names, database_url):
    """The forward SQL of each migration of app rr in `names`, as `migrate` would run it: {name: SQL}."""
    result = subprocess.run(
        [sys.executable, "-c", _SQLMIGRATE_EACH, APP, *names],
        cwd=REPO,
        # sqlmigrate signs nothing, so it needs no real SECRET_KEY.
        env={"RR_ALLOW_INSECURE_KEY": "1", **os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"sqlmigrate {APP} {' '.join(names)} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def squawk(sql, label):
    """squawk's findings on `sql`: a list of dicts with rule_name, line, column, message, help."""
    result = subprocess.run(
        [squawk_path(), f"--pg-version={PG_VERSION}", f"--stdin-filepath={label}.sql", "--reporter=json"],
        input=sql,
        capture_output=True,
        text=True,
    )
    # squawk exits 1 when it finds something; anything else (or no JSON) is a failure to lint.
    if result.returncode not in (0, 1) or not result.stdout.strip().startswith("["):
        raise SystemExit(f"squawk failed on {label}:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout)


_CREATED_TABLE = re.compile(r'CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w.]+)"?', re.I)
_ALTER_TABLE = re.compile(r'ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?"?([\w.]+)"?\s+(.*)', re.I | re.S)
_SUBCOMMAND = re.compile(r",\s*(?=(?:ADD|ALTER|DROP|VALIDATE|SET|RENAME)\b)", re.I)
_ADD_COLUMN_CHECK = re.compile(r"ADD\s+(?!CONSTRAINT\b)(?:COLUMN\s+)?.*\bCHECK\b", re.I | re.S)


def inline_check_findings(sql):
    """Findings of the one unsafe pattern squawk misses: a CHECK written inside ADD COLUMN.

    Django writes PositiveIntegerField's CHECK that way; PostgreSQL then checks every
    existing row under the ADD COLUMN's ACCESS EXCLUSIVE lock (about 150 ms per 2 million
    rows). Add the column bare, then the CHECK NOT VALID, then VALIDATE it (0004/0005).
    Tables created by the same SQL are empty, so they are exempt.
    """
    created = {name.lower() for name in _CREATED_TABLE.findall(sql)}
    findings, offset = [], 0
    for statement in sql.split(";"):
        match = _ALTER_TABLE.search(statement)
        if match and match.group(1).lower() not in created:
            for subcommand in _SUBCOMMAND.split(match.group(2)):
                if _ADD_COLUMN_CHECK.match(subcommand.strip()):
                    findings.append(
                        {
                            "rule_name": "add-column-inline-check",
                            "line": sql.count("\n", 0, offset + match.start()),
                            "message": "A CHECK inside ADD COLUMN scans every row under ACCESS EXCLUSIVE.",
                            "help": "Add the column without it, then ADD CONSTRAINT ... NOT VALID and VALIDATE later.",
                        }
                    )
        offset += len(statement) + 1
    return findings


def lint(sqls):
    """Lint {migration name: SQL}; returns (problems, notes) as lists of printable lines."""
    problems, notes = [], []
    for name, sql in sqls.items():
        silenced = SILENCED.get(name, {})
        fired = set()
        lines = sql.splitlines()
        for finding in squawk(sql, name) + inline_check_findings(sql):
            rule = finding["rule_name"]
            fired.add(rule)
            if rule in silenced:
                continue
            statement = lines[finding["line"]].strip() if finding["line"] < len(lines) else ""
            problems.append(
                f"{APP}/{name} line {finding['line'] + 1}: {rule}: {finding['message']}"
                f"\n    {statement[:160]}\n    help: {finding.get('help') or '-'}"
            )
        for rule, why in silenced.items():
            if rule in fired:
                notes.append(f"{APP}/{name}: silenced {rule} ({why})")
            else:
                problems.append(f"{APP}/{name}: {rule} is silenced but no longer fires: remove it from SILENCED")
    return problems, notes


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if args:
        sqls = {Path(arg).stem: Path(arg).read_text() for arg in args}
    else:
        database_url = sqlmigrate_url(os.environ.get("DATABASE_URL", ""))
        # Legacy migrations are left out on purpose: see LEGACY.
        sqls = sqlmigrate([name for name in migration_names() if name not in LEGACY], database_url)
    problems, notes = lint(sqls)
    for line in notes:
        print(line)
    if problems:
        print(f"\nMigration lint: {len(problems)} problem(s)\n", file=sys.stderr)
        for line in problems:
            print(line, file=sys.stderr)
        return 1
    print(f"Migration lint: {', '.join(sqls)} clean (squawk, PostgreSQL {PG_VERSION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
