"""E-mail notification settings: per user and model levels, followed versions, user switches, daily counts."""

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class NotificationSubscription(Base):
    """A user's level for one model: ALL_EVENTS, DEFAULT (versions I follow) or UNSUBSCRIBED (muted)."""

    __tablename__ = "notification_subscriptions"

    user_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))


class NotificationFollow(Base):
    """A version a user follows (after commenting on it, transitioning it or requesting a transition)."""

    __tablename__ = "notification_follows"

    user_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)


class NotificationUserSetting(Base):
    """A user's switch for all registry e-mails: SUBSCRIBED (the default when absent) or UNSUBSCRIBED."""

    __tablename__ = "notification_user_settings"

    user_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))


class NotificationCount(Base):
    """E-mails counted per user, model, event type and UTC day, for the daily cap."""

    __tablename__ = "notification_counts"

    user_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since the epoch (UTC)
    count: Mapped[int] = mapped_column(Integer)
    last_sent_at: Mapped[int] = mapped_column(BigInteger)
