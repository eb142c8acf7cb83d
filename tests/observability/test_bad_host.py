"""A request with a Host header that is not allowed: one WARNING line, no trace."""

from django.test import Client


def test_a_bad_host_is_logged_once_at_warning_without_a_trace(db, settings, json_logs):
    settings.ALLOWED_HOSTS = ["api.example.com"]
    response = Client(HTTP_HOST="evil.example.net").get("/api/checklists/")

    assert response.status_code == 400
    lines = json_logs()
    assert len(lines) == 1, lines
    [line] = lines
    assert (line["level"], line["event"], line["status"], line["refused_host"]) == (
        "WARNING",
        "request",
        400,
        "evil.example.net",
    )
    assert "exc" not in line


def test_an_allowed_host_answering_400_is_no_warning(db, settings, json_logs, api):
    response = api.post("/auth/user/", "{", content_type="application/json")
    assert response.status_code == 400
    [line] = [line for line in json_logs() if line["event"] == "request"]
    assert line["level"] == "INFO" and "refused_host" not in line
