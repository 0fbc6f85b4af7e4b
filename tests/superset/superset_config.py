"""Superset configuration for the test run: a throwaway SQLite metadata database in the run's
directory, no CSRF on the REST API (the script logs in with a bearer token), no examples, no
telemetry, nothing listening beyond loopback."""

import os

_run_dir = os.environ["SEGQL_SUPERSET_DIR"]

SECRET_KEY = "segql-test-only-not-a-secret-0123456789"
SQLALCHEMY_DATABASE_URI = f"sqlite:///{_run_dir}/superset.db"
WTF_CSRF_ENABLED = False
TALISMAN_ENABLED = False
SQLLAB_CTAS_NO_LIMIT = True
# SQL Lab runs queries in the web process (no Celery worker in a test).
SQLLAB_ASYNC_TIME_LIMIT_SEC = 60
SQLLAB_TIMEOUT = 60
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
RATELIMIT_ENABLED = False
