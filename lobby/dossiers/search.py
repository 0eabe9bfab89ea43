"""The blind index of applicants (name, phone, ID number): written with each applicant, filled
for older ones by backfill() (at start and `flask --app server dossiers-reindex`), and read by
the staff's dossier list. Only keyed hashes of normalised values are stored (lobby.crypto)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, select

from core.dossiers import SearchKind, search_kinds, search_value
from lobby.crypto import UNREADABLE, blind_index, index_key_id
from lobby.dossiers.models import ApplicantIndex
from lobby.extensions import db
from lobby.models import Applicant

_FIELDS = {
    SearchKind.NAME: "full_name",
    SearchKind.PHONE: "phone",
    SearchKind.ID_NUMBER: "id_number",
}


def _rows(person: Applicant, key_id: str) -> list[dict[str, object]]:
    rows = []
    for kind, attr in _FIELDS.items():
        raw = getattr(person, attr)
        value = search_value(kind, raw) if raw != UNREADABLE else None  # never index the marker
        if value is not None:
            rows.append(
                {
                    "applicant_id": person.id,
                    "kind": kind.value,
                    "office_id": person.office_id,
                    "digest": blind_index(kind.value, value),
                    "key_id": key_id,
                }
            )
    return rows


def index_applicant(person: Applicant) -> None:
    """(Re)write one applicant's index rows, in the caller's transaction (after a flush)."""
    db.session.execute(delete(ApplicantIndex).where(ApplicantIndex.applicant_id == person.id))
    rows = _rows(person, index_key_id())
    if rows:
        db.session.execute(ApplicantIndex.__table__.insert(), rows)


def backfill(batch: int = 2000) -> int:
    """Index every applicant without rows under the current key (older data, sample history,
    a dropped data key); each batch is its own transaction. → how many were indexed."""
    key_id = index_key_id()
    done, last = 0, 0
    while True:
        indexed = select(ApplicantIndex.applicant_id).where(
            and_(ApplicantIndex.applicant_id == Applicant.id, ApplicantIndex.key_id == key_id)
        )
        people = db.session.scalars(
            select(Applicant)
            .where(Applicant.id > last, ~indexed.exists())
            .order_by(Applicant.id)
            .limit(batch)
        ).all()
        if not people:
            return done
        ids = [p.id for p in people]
        last = ids[-1]
        db.session.execute(delete(ApplicantIndex).where(ApplicantIndex.applicant_id.in_(ids)))
        rows = [row for p in people for row in _rows(p, key_id)]
        if rows:
            db.session.execute(ApplicantIndex.__table__.insert(), rows)
        db.session.commit()
        db.session.expunge_all()
        done += len(people)


def matching_applicants(office_id: int, query: str) -> Iterable[object] | None:
    """A subquery of the applicant ids whose name, phone or ID number is what `query` says
    (normalised, hashed, compared); None when the query names nothing."""
    pairs = []
    for kind in search_kinds(query):
        value = search_value(kind, query)
        if value is not None:
            pairs.append((kind.value, blind_index(kind.value, value)))
    if not pairs:
        return None
    # Kinds IN and digests IN (each digest is keyed by its kind, so no cross-match can be
    # found): the (office_id, kind, digest) index answers it, an OR of pairs would not.
    return select(ApplicantIndex.applicant_id).where(
        ApplicantIndex.office_id == office_id,
        ApplicantIndex.kind.in_([k for k, _h in pairs]),
        ApplicantIndex.digest.in_([h for _k, h in pairs]),
    )
