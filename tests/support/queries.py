"""What a block of code sent PostgreSQL, read from Django's CaptureQueriesContext."""


def sent(captured):
    """The query strings sent, each a round trip, but for the savepoints of the test's own
    transaction (they stand in for BEGIN and COMMIT inside it)."""
    return [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]
