"""The ORM mapping of the history tables (SQLAlchemy 2 typed declarative).

The tables themselves are created by `migrations.py` (plain SQL steps); this
module only maps them, and a test checks the two agree. Times are stored as
REAL Unix seconds (UTC) and mapped to aware `datetime`s.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Float, ForeignKey, Integer, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from desktop_assistant.messages import MessageStatus


class EpochTime(TypeDecorator[datetime]):
    """An aware UTC datetime stored as Unix seconds (REAL): compact, sortable, easy to bucket by day."""

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> float | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the history store; use an aware UTC time")
        return value.timestamp()

    def process_result_value(self, value: float | None, dialect: Dialect) -> datetime | None:
        return None if value is None else from_epoch(value)


def from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class Base(DeclarativeBase):
    pass


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(EpochTime)
    updated_at: Mapped[datetime] = mapped_column(EpochTime)
    #: kept by triggers on messages (never set it from Python)
    message_count: Mapped[int] = mapped_column(default=0)

    messages: Mapped[list[MessageRow]] = relationship(
        back_populates="conversation", order_by="MessageRow.id", passive_deletes=True
    )


class MessageRow(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(EpochTime)
    status: Mapped[str] = mapped_column(Text, default=MessageStatus.COMPLETE.value)
    error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="typed")
    stt_ms: Mapped[float | None] = mapped_column(Float)
    llm_first_token_ms: Mapped[float | None] = mapped_column(Float)
    first_audio_ms: Mapped[float | None] = mapped_column(Float)
    total_ms: Mapped[float | None] = mapped_column(Float)
    stt_model: Mapped[str | None] = mapped_column(Text)
    llm_model: Mapped[str | None] = mapped_column(Text)
    final_transcript_ms: Mapped[float | None] = mapped_column(Float)
    #: the live transcript of a spoken turn: updates shown while the user spoke, and the early decode's
    #: verdict ("hit" | "miss" | "none"; speech.transcript.Early)
    partials: Mapped[int | None] = mapped_column(Integer)
    early: Mapped[str | None] = mapped_column(Text)
    #: the reply asked for before the release (assistant/speculation.py): used, cancelled, none asked
    speculation: Mapped[str | None] = mapped_column(Text)

    conversation: Mapped[ConversationRow] = relationship(back_populates="messages")
