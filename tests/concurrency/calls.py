"""Concurrent API calls: one thread and one database connection each, released together."""

import threading

from django.db import connection
from rest_framework.test import APIClient


def api_calls_at_once(calls):
    """Run each (access token, method, url, body) in its own thread, all started by one
    barrier so that they really race; returns the responses in the order of `calls`."""
    barrier = threading.Barrier(len(calls))
    responses = [None] * len(calls)

    def call(index, access, method, url, body):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
            barrier.wait()
            responses[index] = getattr(client, method)(url, body, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(index, *spec)) for index, spec in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses
