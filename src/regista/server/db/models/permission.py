"""Direct permission grants (access control entries) on registered models, experiments and the registry root."""

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class AccessControlEntry(Base):
    """One identity holding one permission level on one object, e.g. ("registered-models", "12", 7, CAN_EDIT)."""

    __tablename__ = "access_control_entries"

    # "registered-models" (object_id a registered model id, or "root") or "experiments".
    object_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True)
    permission_level: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index(None, "identity_id"),)
