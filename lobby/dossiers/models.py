"""Tables of the dossier feature kept outside lobby/models.py."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lobby.extensions import db


class ApplicantIndex(db.Model):
    """The blind index of an applicant's name, phone and ID number: a keyed hash of each
    normalised value (lobby.crypto.blind_index), never the value itself. Staff find dossiers
    by these without decrypting every applicant."""

    __tablename__ = "applicant_index"
    __table_args__ = (Index("ix_applicant_index_digest", "office_id", "kind", "digest"),)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)  # core.dossiers.SearchKind
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(12))
