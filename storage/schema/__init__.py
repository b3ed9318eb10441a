"""The tables, one module per concern; importing this package registers them all
on ``Base.metadata``, which the migrations are checked against."""

from sohoa.storage.database import Base
from sohoa.storage.schema import accounts, register, review

__all__ = ["Base", "accounts", "register", "review"]
