"""The app database (SQLAlchemy 2): users, API keys, refresh tokens and the audit log.

SQLite file by default, PostgreSQL when ``ADLENS_APP_DB_URL=postgresql://...``.
"""

from adlens.appdb.db import AppDB, open_app_db

__all__ = ["AppDB", "open_app_db"]
