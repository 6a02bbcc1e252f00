import json
import logging

from audit.context import REQUEST_ID
from ops.logging import JSONFormatter, RequestIdFilter, UTCFormatter


def _record(**extra) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "relais.request", "levelname": "INFO", "msg": "GET / 200", **extra}
    )
    record.created = 1764550923.456  # 2025-12-01T01:02:03.456Z
    RequestIdFilter().filter(record)
    return record


def test_times_are_utc_with_their_offset():
    formatter = UTCFormatter("%(asctime)s [%(request_id)s] %(message)s")
    assert formatter.format(_record()) == (
        "2025-12-01T01:02:03.456+00:00 [-] GET / 200"
    )


def test_production_lines_are_json_with_the_request_id_and_extras():
    token = REQUEST_ID.set("req-42abcdef")
    try:
        line = JSONFormatter().format(_record(status=200, route="/"))
    finally:
        REQUEST_ID.reset(token)
    data = json.loads(line)
    assert data["time"] == "2025-12-01T01:02:03.456+00:00"
    assert data["request_id"] == "req-42abcdef"
    assert (data["level"], data["logger"], data["message"]) == (
        "INFO",
        "relais.request",
        "GET / 200",
    )
    assert (data["status"], data["route"]) == (200, "/")
