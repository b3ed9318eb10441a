"""The tables, one module per concern; importing this package registers them all
on ``Base.metadata``, which the migrations are checked against."""

from sohoa.storage.database import Base

__all__ = ["Base"]
