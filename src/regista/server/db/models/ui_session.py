"""Browser sessions of the web UI: a random session id (stored as its SHA-256) tied to the access token
that signed in, so revoking the token (or deactivating its owner) ends the session."""

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class UiSession(Base):
    """One signed-in browser."""

    __tablename__ = "ui_sessions"

    # SHA-256 of the random session id the cookie carries; the id itself is never stored.
    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Deleting the token (revocation) deletes its sessions.
    token_id: Mapped[str] = mapped_column(
        ForeignKey("access_tokens.token_id", ondelete="CASCADE"), index=True
    )
    creation_time: Mapped[int] = mapped_column(BigInteger)
    # Epoch ms after which the session is refused (at most the token's own expiry).
    expiry_time: Mapped[int] = mapped_column(BigInteger)
