"""The case store's schema (SQLAlchemy 2.0 typed mapping); Alembic migrations mirror it.

Same schema on SQLite (embedded default) and PostgreSQL (production). All timestamps are
timezone-aware UTC; days are counted in the configured local zone by the queries.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids that are still INTEGER PRIMARY KEY (rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
UtcTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Unit(Base):
    """One node of the territory tree: province, city, county, township, village or grid."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_code: Mapped[str | None] = mapped_column(
        String(15), ForeignKey("units.code"), index=True
    )
    county_code: Mapped[str | None] = mapped_column(String(6), index=True)
    boundary: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area_km2: Mapped[float | None] = mapped_column(Float)
    households: Mapped[int | None] = mapped_column(Integer)
    urban: Mapped[bool] = mapped_column(Boolean, default=False)
    synthesized: Mapped[bool] = mapped_column(Boolean, default=True)


class GridWorker(Base):
    __tablename__ = "grid_workers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20))
    grid_code: Mapped[str] = mapped_column(String(15), ForeignKey("units.code"), index=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)


class Case(Base):
    """A case's current state. Every change to it also appends a CaseTransition."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    major_class: Mapped[str] = mapped_column(String(16))
    subclass: Mapped[str] = mapped_column(String(32))
    dispute_type: Mapped[str | None] = mapped_column(String(24))
    mediation_type: Mapped[str | None] = mapped_column(String(16))
    mediation_outcome: Mapped[str | None] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    reporter_name: Mapped[str | None] = mapped_column(String(32))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    grid_code: Mapped[str] = mapped_column(String(15), ForeignKey("units.code"))
    township_code: Mapped[str] = mapped_column(String(9))
    county_code: Mapped[str] = mapped_column(String(6))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    stage: Mapped[str] = mapped_column(String(12))
    responsible_unit: Mapped[str | None] = mapped_column(String(64))
    handler: Mapped[str | None] = mapped_column(String(32))
    resolved_level: Mapped[str | None] = mapped_column(String(10))
    reported_at: Mapped[datetime] = mapped_column(UtcTime)
    registered_at: Mapped[datetime | None] = mapped_column(UtcTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcTime)
    handling_at: Mapped[datetime | None] = mapped_column(UtcTime)
    handled_at: Mapped[datetime | None] = mapped_column(UtcTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UtcTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UtcTime)
    extended_until: Mapped[datetime | None] = mapped_column(UtcTime)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    supervision_level: Mapped[int] = mapped_column(Integer, default=0)
    # The unit the latest supervision order (督办) is addressed to: a territory code, whose
    # duty officers see the order in their queue. NULL: the case's township (orders recorded
    # before addressees existed). Migration 0011.
    supervision_addressee: Mapped[str | None] = mapped_column(String(15))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    satisfaction: Mapped[str | None] = mapped_column(String(12))
    followed_up_at: Mapped[datetime | None] = mapped_column(UtcTime)
    updated_at: Mapped[datetime] = mapped_column(UtcTime)

    __table_args__ = (
        Index("ix_cases_reported_at", "reported_at"),
        Index("ix_cases_closed_at", "closed_at"),
        # The indicators' periods (data_access/indicators.py); migration 0006.
        Index("ix_cases_registered_at", "registered_at"),
        Index("ix_cases_county_due", "county_code",
              text("coalesce(extended_until, deadline_at)")),
        Index("ix_cases_county_reported", "county_code", "reported_at"),
        Index("ix_cases_grid_reported", "grid_code", "reported_at"),
        Index("ix_cases_dispute_reported", "dispute_type", "reported_at"),
        Index("ix_cases_reporter_phone", "reporter_phone"),
        # /ops sorted by deadline (case_query.EFFECTIVE_DEADLINE); migration 0003.
        Index("ix_cases_effective_deadline", text("coalesce(extended_until, deadline_at)")),
        # The wall asks about open cases all the time; history must not slow it down.
        Index(
            "ix_cases_open_deadline",
            "deadline_at",
            "county_code",
            postgresql_where=text("stage NOT IN ('closed', 'rejected')"),
            sqlite_where=text("stage NOT IN ('closed', 'rejected')"),
        ),
    )


class CaseDaily(Base):
    """Cases per local day of report × county × category × how they ended: the history the
    wall's trends read instead of the case table (data_access/rollups.py keeps it).

    "None" is stored as "" in the key columns, which form the primary key."""

    __tablename__ = "case_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    major_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    dispute_type: Mapped[str] = mapped_column(String(24), primary_key=True)
    resolved_level: Mapped[str] = mapped_column(String(10), primary_key=True)
    mediation_outcome: Mapped[str] = mapped_column(String(24), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)


class CaseDailyBuilt(Base):
    """Local days whose case_daily rows are complete (rebuilt from the case table, then kept
    by the write path). Days not listed are counted from the case table."""

    __tablename__ = "case_daily_built"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UtcTime)


class DailyMeasures:
    """The leaders' measures a day's row sums (data_access/reports/rollup.py MEASURES), shared
    by township_daily and grid_daily (declared after each table's key columns)."""

    reported: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    closed_of_reported: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    rework: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolved_low: Mapped[int] = mapped_column(Integer, default=0)
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    ack_in_time: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    late_closed: Mapped[int] = mapped_column(Integer, default=0)
    late_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    handling_minutes: Mapped[int] = mapped_column(BigInteger, default=0)
    supervisions: Mapped[int] = mapped_column(Integer, default=0)


class TownshipDaily(Base, DailyMeasures):
    """The period indicators' sums per local day × township (data_access/reports/rollup.py
    keeps it). Each measure counts on its own day: a report on the day of report, a closure on
    the day of closure, a deadline on the day it falls, a supervision order on the day it is
    given; the rates' cohorts (accepted, answered, ...) on the day of report. Minutes are
    working minutes (data_access.sla)."""

    __tablename__ = "township_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    # and the measures of DailyMeasures


class TopicColumns:
    """A topic row's key after its day and place — subclass and how a dispute ended ("" for
    none) — and its count of cases: topic_daily's, said once for its month copies too."""

    subclass: Mapped[str] = mapped_column(String(32), primary_key=True)
    dispute_type: Mapped[str] = mapped_column(String(24), primary_key=True)
    resolved_level: Mapped[str] = mapped_column(String(10), primary_key=True)
    mediation_outcome: Mapped[str] = mapped_column(String(24), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)


class TopicDaily(Base, TopicColumns):
    """Reports per local day of report × township × subclass × how a dispute ended: the
    briefing's hot issues and disputes picture (data_access/reports/rollup.py keeps it with
    township_daily, and its days are built with them). "None" is stored as ""."""

    __tablename__ = "topic_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    # and the topic key and count of TopicColumns


class GridDaily(Base, DailyMeasures):
    """township_daily's measures per local day × grid × subclass: a township's grids ranked,
    and repeat reports (the same village and subclass again) without scanning cases. Kept
    and built with township_daily (data_access/reports/rollup.py), under its built days."""

    __tablename__ = "grid_daily"
    __table_args__ = (
        # Repeat reports over a city's or county's period read only the reported rows
        # (migration 0014): an index-only scan on PostgreSQL.
        Index("ix_grid_daily_reported", "day", "grid_code", "subclass",
              postgresql_include=["reported"], postgresql_where=text("reported > 0"),
              sqlite_where=text("reported > 0")),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    subclass: Mapped[str] = mapped_column(String(32), primary_key=True)
    # and the measures of DailyMeasures


class TownshipMonthly(Base, DailyMeasures):
    """township_daily summed per local month (`month` is the month's first day), kept by the
    same write path and rebuilt from township_daily (data_access/reports/rollup.py): a
    month, a quarter or a year of a unit reads a few rows per township, and only the partial
    edge months of a week or custom period read days. Always the sum of its month's daily
    rows."""

    __tablename__ = "township_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    # and the measures of DailyMeasures


class TopicMonthly(Base, TopicColumns):
    """topic_daily summed per local month (`month` is the month's first day), kept with it:
    the hot issues and disputes picture of a month, quarter or year."""

    __tablename__ = "topic_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    township_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    # and the topic key and count of TopicColumns


class CountyTopicMonthly(Base, TopicColumns):
    """topic_daily summed per local month × county (a township code's first 6 digits) ×
    subclass × how a dispute ended, kept with it: a city's or a county's hot issues read
    ~4 k rows a month instead of topic_monthly's ~29 k township rows (the province's, a
    tenth of that again per city)."""

    __tablename__ = "county_topic_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    # and the topic key and count of TopicColumns


class GridMonthly(Base, DailyMeasures):
    """grid_daily summed per local month and grid (every subclass together; `month` is the
    month's first day), kept with it: a township's grids ranked over a month, a quarter or a
    year read ~60 rows a month instead of ~1.7 k day × subclass rows."""

    __tablename__ = "grid_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    # and the measures of DailyMeasures


class VillageMonthly(Base):
    """grid_daily's reports summed per local month × village or community (村/社区: a grid
    code's first 12 digits) × subclass, kept with it: the repeat places of a city's month
    read its top rows in the order of an index instead of ~120 k grid × day rows. A rebuild
    writes no row whose reports sum to 0 (the write path may leave one when a case moves)."""

    __tablename__ = "village_monthly"
    __table_args__ = (
        # A month's repeat places, most reports first: the top rows of a city's month without
        # reading its ~50 k (migration 0017).
        Index("ix_village_monthly_reported", "month", text("reported DESC"), "village_code",
              "subclass"),
    )

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    village_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    subclass: Mapped[str] = mapped_column(String(32), primary_key=True)
    reported: Mapped[int] = mapped_column(Integer)


class TownshipDailyBuilt(Base):
    """Local days whose township_daily rows are complete (rebuilt, then kept by the write
    path)."""

    __tablename__ = "township_daily_built"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UtcTime)


class CaseTransition(Base):
    """Append-only history: one row per stage change or side event. Never updated."""

    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str | None] = mapped_column(String(12))
    to_stage: Mapped[str | None] = mapped_column(String(12))
    level: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcTime, index=True)
    # A supervision order's addressee (a territory code); migration 0011.
    addressee: Mapped[str | None] = mapped_column(String(15))


class PatrolCheckin(Base):
    __tablename__ = "patrol_checkins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    worker_id: Mapped[int] = mapped_column(BigId, ForeignKey("grid_workers.id"))
    grid_code: Mapped[str] = mapped_column(String(15), ForeignKey("units.code"))
    at: Mapped[datetime] = mapped_column(UtcTime)

    __table_args__ = (Index("ix_patrol_checkins_at_grid", "at", "grid_code"),)


class User(Base):
    """A person who signs in to /ops: duty officer, leader or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcTime)
    # The territory (a unit code) whose cases the person's duty queue shows; NULL: the whole
    # region (admins and leaders by default). Migration 0011.
    area: Mapped[str | None] = mapped_column(String(15))


class AccountEvent(Base):
    """Who changed an account or a kiosk token, when, and how (`govwall user …`)."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[str] = mapped_column(String(128), default="")


class KioskToken(Base):
    """A read-only token for one wall screen; grants aggregated views only."""

    __tablename__ = "kiosk_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    label: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTime)


# -- intake: the systems that send real cases (data_access/intake) ---------------------------

class IntakeSource(Base):
    """A source system (12345 platform, grid app, 综治 platform) allowed to send cases.
    Its API token is stored as a SHA-256 hash only; revoking sets revoked_at."""

    __tablename__ = "intake_sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    county_code: Mapped[str] = mapped_column(String(6))  # where its unplaced cases go
    created_at: Mapped[datetime] = mapped_column(UtcTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTime)
    # Staging-table polling (前置库): where to read, and how far it has read (the cursor
    # moves only after the rows before it are committed here).
    staging_url: Mapped[str | None] = mapped_column(String(500))
    staging_table: Mapped[str | None] = mapped_column(String(128))
    cursor_at: Mapped[datetime | None] = mapped_column(UtcTime)
    cursor_id: Mapped[str | None] = mapped_column(String(64))


class IntakeRecord(Base):
    """Which source case a govwall case is, how it was placed and what did not map: one row
    per ingested case, written in the case's own transaction."""

    __tablename__ = "intake_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(BigId, ForeignKey("intake_sources.id"))
    source_case_id: Mapped[str] = mapped_column(String(47))
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), unique=True)
    placement: Mapped[str] = mapped_column(String(8))  # grid | point | address | unplaced
    unknown_codes: Mapped[str] = mapped_column(String(200), default="")  # "category=X;…"
    source_reported_at: Mapped[datetime] = mapped_column(UtcTime)
    received_at: Mapped[datetime] = mapped_column(UtcTime)

    __table_args__ = (
        Index("uq_intake_records_source_case", "source_id", "source_case_id", unique=True),
        Index("ix_intake_records_source_received", "source_id", "received_at"),
    )


class ImportHeldIndex(Base):
    """A secondary index or foreign key of cases, case_transitions or intake_records that a
    bulk `govwall import` dropped for its load, and the statement that recreates it
    (data_access/intake/bulk_mode.py). Rows exist only while such an import runs or after
    one was killed; migrate.upgrade recreates those."""

    __tablename__ = "import_held_indexes"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(10))  # index | foreign
    definition: Mapped[str] = mapped_column(Text)


class IntakeRejection(Base):
    """A record a source sent that was refused, with why (the data-quality figures)."""

    __tablename__ = "intake_rejections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(BigId, ForeignKey("intake_sources.id"))
    at: Mapped[datetime] = mapped_column(UtcTime)
    channel: Mapped[str] = mapped_column(String(8))  # api | file | poll
    source_case_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(300))

    __table_args__ = (Index("ix_intake_rejections_source_at", "source_id", "at"),)


# -- early warnings (data_access/warnings) ---------------------------------------------------

class EarlyWarning(Base):
    """A warning found by the offline detectors (data_access/warnings/): what, where, over
    which window, the evidence, and what the officers did with it. `key` names the finding
    (kind, unit, category, window start) so that a detector run again updates it in place."""

    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    unit_code: Mapped[str] = mapped_column(String(15))
    category: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[datetime] = mapped_column(UtcTime)
    window_end: Mapped[datetime] = mapped_column(UtcTime)
    expected: Mapped[float | None] = mapped_column(Float)
    observed: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="{}")  # JSON, never a phone number
    status: Mapped[str] = mapped_column(String(12), default="new")
    status_by: Mapped[str | None] = mapped_column(String(32))
    status_at: Mapped[datetime | None] = mapped_column(UtcTime)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcTime)
    updated_at: Mapped[datetime] = mapped_column(UtcTime)

    __table_args__ = (Index("ix_warnings_created_at", "created_at"),
                      Index("ix_warnings_status_created", "status", "created_at"))


class WarningCase(Base):
    """A case behind a warning (a cluster's member, a caller's report, a surge's case).
    An officer may link a case by hand or unlink one: an unlinked row stays, with who and
    when, so that the detector does not put it back."""

    __tablename__ = "warning_cases"

    warning_id: Mapped[int] = mapped_column(BigId, ForeignKey("warnings.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(32))
    removed_by: Mapped[str | None] = mapped_column(String(32))
    removed_at: Mapped[datetime | None] = mapped_column(UtcTime)

    __table_args__ = (Index("ix_warning_cases_case_id", "case_id"),)


class CaseSignature(Base):
    """A case's text signature for repeat complaints (data_access/warnings/signatures.py),
    computed once when a detection run first sees the case, with what a later run needs to
    find its neighbours without reading the case: category, village, a ~1 km cell of its
    point, the time of report. `cluster_id` is the first case of the cluster it joined (its
    own id when it started one); `similarity` is to the member it joined through."""

    __tablename__ = "case_signatures"

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    version: Mapped[int] = mapped_column(SmallInteger)
    category: Mapped[str] = mapped_column(String(16))
    village_code: Mapped[str] = mapped_column(String(12))
    cell: Mapped[str] = mapped_column(String(16))
    grid_code: Mapped[str] = mapped_column(String(15))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    reported_at: Mapped[datetime] = mapped_column(UtcTime)
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    spots: Mapped[str] = mapped_column(String(200), default="")
    cluster_id: Mapped[int] = mapped_column(BigId)
    similarity: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        Index("ix_case_signatures_village", "category", "village_code", "reported_at"),
        Index("ix_case_signatures_cell", "category", "cell", "reported_at"),
        Index("ix_case_signatures_cluster", "cluster_id"),
        Index("ix_case_signatures_reported_at", "reported_at"),
    )


class WarningEvent(Base):
    """Append-only record of what officers did to a warning's cases (link, unlink): who
    and when, like a case's transitions. Never updated."""

    __tablename__ = "warning_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    warning_id: Mapped[int] = mapped_column(BigId, ForeignKey("warnings.id"), index=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcTime)
