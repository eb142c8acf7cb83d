"""Find, in the primary's statement log, what would leak from one client to the next under
transaction pooling: session settings, session advisory locks, LISTEN, temporary tables,
cursors kept past a transaction, prepared statements.

bin/cluster logs every statement with its role (`<role> LOG:  statement: …`, or
`execute <name>: …` for the extended protocol); the pooler logs in as its own role.
"""

import re

ENTRY = re.compile(r"^<(?P<role>[^>]*)> LOG:  (?:statement|execute (?P<name>[^:]+)): (?P<sql>.*)$")

# What PgBouncer itself sets when it hands a server connection to another client: the
# parameters it tracks per client and restores (client_encoding, DateStyle, TimeZone,
# standard_conforming_strings, application_name). Its mechanism, not the app's state.
POOLER_TRACKED = re.compile(
    r"^SET\s+(client_encoding|datestyle|timezone|standard_conforming_strings|application_name)\s*=",
    re.IGNORECASE,
)
SESSION_STATE = [
    ("SET without LOCAL", re.compile(r"^SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)", re.IGNORECASE)),
    ("RESET / DISCARD", re.compile(r"^(RESET|DISCARD)\b", re.IGNORECASE)),
    ("session set_config", re.compile(r"set_config\s*\([^)]*,\s*(false|'f')\s*\)", re.IGNORECASE)),
    ("session advisory lock", re.compile(r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.IGNORECASE)),
    ("LISTEN", re.compile(r"^(UN)?LISTEN\b", re.IGNORECASE)),
    ("temporary table", re.compile(r"\bCREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\b", re.IGNORECASE)),
    ("cursor", re.compile(r"^DECLARE\b|\bWITH\s+HOLD\b", re.IGNORECASE)),
    ("prepared statement", re.compile(r"^(PREPARE|EXECUTE|DEALLOCATE)\b", re.IGNORECASE)),
]


def entries(log):
    """(role, statement name or None, SQL) of every logged statement; continuation lines joined."""
    found = []
    for line in log.splitlines():
        if line.startswith("\t") and found:
            role, name, text = found[-1]
            found[-1] = (role, name, f"{text}\n{line[1:]}")
            continue
        match = ENTRY.match(line)
        if match:
            found.append((match["role"], match["name"], match["sql"]))
    return found


def _statements(text):
    # Good enough for our SQL: no ';' inside the app's string literals.
    return [part.strip() for part in text.split(";") if part.strip()]


def session_state(log, role):
    """[(what, SQL)] for every statement of `role` that would leave state on the connection."""
    problems = []
    for entry_role, name, text in entries(log):
        if entry_role != role:
            continue
        if name is not None and name.strip() != "<unnamed>":
            problems.append(("prepared statement", f"execute {name}: {text[:200]}"))
        for statement in _statements(text):
            if POOLER_TRACKED.match(statement):
                continue
            for what, pattern in SESSION_STATE:
                if pattern.search(statement):
                    problems.append((what, statement[:200]))
    return problems


def statement_count(log, role):
    return sum(1 for entry_role, _, _ in entries(log) if entry_role == role)
