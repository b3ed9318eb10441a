"""A clerk's answer to a record flagged for review: confirmed as it stands
(or after corrections), which takes it out of the review queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sohoa.storage.database import Base
from sohoa.storage.schema.accounts import utc_now


class ReviewConfirmation(Base):
    __tablename__ = "review_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
