"""Server-side state: the database (SQLAlchemy + Alembic) and the blob store for payloads."""

from .store import PublishedSurvey, Store, today

__all__ = ["PublishedSurvey", "Store", "today"]
