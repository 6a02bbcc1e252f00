"""Log formatting: UTC times with their offset, the request id on every line,
JSON in production (one object per line). Imported by Django's LOGGING and by
deploy/gunicorn.conf.py, so it imports nothing from Django."""

import json
import logging
from datetime import UTC, datetime

# Attributes of every LogRecord; anything else was passed with `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _request_id() -> str:
    try:
        # Lazy: gunicorn's master logs before Django (and audit) load.
        from audit.context import REQUEST_ID
    except Exception:  # noqa: BLE001 - gunicorn's master logs before Django loads
        return ""
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (the request being served, or empty) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = _request_id() or "-"
        return True


class UTCFormatter(logging.Formatter):
    """ISO 8601 times in UTC with the offset: 2026-12-01T01:02:03.456+00:00."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.isoformat(timespec="milliseconds")


class JSONFormatter(UTCFormatter):
    """One JSON object per line: time, level, logger, message, request_id and the
    fields passed with `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def logging_config(*, json_format: bool, level: str = "INFO") -> dict:
    """The dictConfig shared by Django and gunicorn: one console handler."""
    plain = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ops.logging.RequestIdFilter"}},
        "formatters": {
            "relais": {"()": "ops.logging.JSONFormatter"}
            if json_format
            else {"()": "ops.logging.UTCFormatter", "format": plain}
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "relais",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Never log request bodies or query strings that may carry codes or
            # tokens: RequestLogMiddleware writes one line per request instead.
            "django.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
            "axes": {"level": "WARNING"},
            "gunicorn.error": {"level": level, "propagate": True},
            "gunicorn.access": {"level": "WARNING", "propagate": True},
        },
    }
