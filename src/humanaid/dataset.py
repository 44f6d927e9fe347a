"""The dataset: every record of a programme in one immutable value, indexed by id.

A :class:`Dataset` holds one tuple per kind of record (its *collections*). It never
refuses bad data: duplicate ids, references to missing records and every other
cross-record problem come back from :meth:`Dataset.validate` as findings.

The collections grow with the library: each domain module adds its records here. A user
can add their own by subclassing, since the machinery (indexes, integrity checks,
serialisation) reads the collections from the class:

>>> import attrs
>>> from humanaid.records import id_field, ref_field
>>> @attrs.frozen(kw_only=True)
... class Village:
...     id: str = id_field()
...     twin_id: str | None = ref_field("villages", optional=True)
>>> @attrs.frozen(kw_only=True)
... class VillageData(Dataset):
...     villages: tuple[Village, ...] = collection(Village)
>>> ds = VillageData(villages=[Village(id="v1"), Village(id="v1"), Village(id="v2", twin_id="v9")])
>>> print(ds.validate())
2 findings (2 errors):
  ERROR integrity.duplicate-id [v1]: 2 records in 'villages' share the id 'v1'
  ERROR integrity.missing-reference [v2]: villages 'v2' refers in 'twin_id' to 'v9', ...
>>> ds.get("villages", "v2")
Village(id='v2', twin_id='v9')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Final, Protocol, Self, TypeVar, cast

import attrs

from humanaid import _gc
from humanaid.beneficiaries import Household, Person
from humanaid.cases import Case, Distribution, Screening
from humanaid.dedupe import Merge
from humanaid.donors import Campaign, Donation, Donor, Pledge, Refund
from humanaid.findings import Finding, Findings
from humanaid.funds import BalanceAssertion, Flow, Fund, Ledger, Reversal
from humanaid.ledger import dataset_ledger
from humanaid.organizations import AdminArea, Organization
from humanaid.projects import Indicator, IndicatorValue, Program, Project
from humanaid.rates import ExchangeRate
from humanaid.records import text_field
from humanaid.reported_figures import ReportedFigure
from humanaid.revolving import Loan, Repayment, RevolvingFund, WriteOff
from humanaid.sites import ServiceSite, SiteAssessment
from humanaid.three_donations import (
    BloodDonation,
    BloodDrive,
    CompletedDonation,
    ConsentWithdrawal,
    DonorRegistration,
    HlaMatch,
)
from humanaid.training import Assessment, Attendance, Certificate, Course, OnSiteRescue, Trainer
from humanaid.volunteers import (
    DuesPayment,
    Member,
    ServiceActivity,
    ServiceHours,
    Volunteer,
    VolunteerTeam,
)

__all__ = ["Dataset", "Rule", "collection", "validate"]

R = TypeVar("R")
T = TypeVar("T")
COLLECTION: Final = "humanaid.collection"
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})
_UNSET: Final = object()
_ID: Final = attrgetter("id")


class _Cache(dict[object, Any]):
    """A dataset's indexes and derived values: a pickled or copied dataset starts afresh.

    The cached maps are read-only views, which cannot be pickled, and everything in it can
    be rebuilt from the records.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type[_Cache], tuple[()]]:
        return _Cache, ()


def _is_columnar(value: object) -> bool:
    """Whether ``value`` is records held in a columnar engine (``humanaid.interop.columnar``).

    Such a source is kept as it is, not read into a tuple: :func:`~humanaid.aggregate.tabulate`
    hands it its query, and whatever loops over it reads its records back a batch at a time.
    Duck-typed, so the dataset layer does not import the engines.
    """
    return getattr(type(value), "__humanaid_tabulate__", None) is not None


def collection(record_type: type[R]) -> Any:
    """Declare a dataset collection of ``record_type`` records (a tuple, default empty).

    Lists and other iterables are converted to a tuple; an item of another type is a
    ``TypeError`` that names the collection and the index. A columnar source of the same
    record type (:func:`humanaid.interop.columnar.scan`) is kept as it is, so the summaries
    run their queries in its engine.
    """

    def convert(value: object, _: object, field: attrs.Attribute[Any]) -> tuple[R, ...]:
        if _is_columnar(value):
            kept = getattr(value, "record_type", None)
            if not (isinstance(kept, type) and issubclass(kept, record_type)):
                raise TypeError(
                    f"'{field.name}' must hold {record_type.__name__} records (got a columnar "
                    f"source of {getattr(kept, '__name__', kept)!r})"
                )
            return cast(tuple[R, ...], value)
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise TypeError(
                f"'{field.name}' must be a sequence of {record_type.__name__} records "
                f"(got {type(value).__name__})"
            )
        items = tuple(value)
        for i, item in enumerate(items):
            if not isinstance(item, record_type):
                name = record_type.__name__
                article = "an" if name[:1].lower() in "aeiou" else "a"
                raise TypeError(
                    f"'{field.name}[{i}]' must be {article} {name} (got {type(item).__name__})"
                )
        return items

    return attrs.field(
        factory=tuple,
        converter=attrs.Converter(convert, takes_self=True, takes_field=True),
        metadata={COLLECTION: record_type},
        repr=False,
    )


class Rule(Protocol):
    """Anything that can be called with a dataset and yields findings.

    A plain function is a rule:

    >>> from humanaid import Finding
    >>> def no_empty_dataset(dataset: Dataset) -> Iterable[Finding]:
    ...     if dataset.size() == 0:
    ...         yield Finding(rule="my.empty", severity="info", message="nothing to check")
    >>> [f.rule for f in Dataset().validate([no_empty_dataset], builtin=False)]
    ['my.empty']
    """

    def __call__(self, dataset: Dataset, /) -> Iterable[Finding]:
        """Yield the findings of this rule over ``dataset``; never raise on bad data."""
        ...


@attrs.frozen(kw_only=True)
class Dataset:
    """All records of a programme or society, by kind.

    Build it with keyword arguments, one sequence per collection; look records up with
    :meth:`get` and :meth:`index`; check it with :meth:`validate`; serialise it with
    :mod:`humanaid.serialize`. It is immutable: :meth:`add` returns a new dataset.

    Attributes:
        name: an optional label, such as the society and year it covers.
    """

    name: str = text_field(kind="name", empty_ok=True, default="")

    # -- organisations, donors and fundraising (organizations.py, donors.py) ---------------
    organizations: tuple[Organization, ...] = collection(Organization)
    admin_areas: tuple[AdminArea, ...] = collection(AdminArea)
    donors: tuple[Donor, ...] = collection(Donor)
    donations: tuple[Donation, ...] = collection(Donation)
    pledges: tuple[Pledge, ...] = collection(Pledge)
    campaigns: tuple[Campaign, ...] = collection(Campaign)
    # -- funds and the ledger (funds.py) ------------------------------------------------------
    funds: tuple[Fund, ...] = collection(Fund)
    flows: tuple[Flow, ...] = collection(Flow)
    # -- beneficiaries, cases, screenings and distributions (beneficiaries.py, cases.py) -------
    persons: tuple[Person, ...] = collection(Person)
    households: tuple[Household, ...] = collection(Household)
    cases: tuple[Case, ...] = collection(Case)
    screenings: tuple[Screening, ...] = collection(Screening)
    distributions: tuple[Distribution, ...] = collection(Distribution)
    # -- programmes, projects and results (projects.py) ----------------------------------------
    programs: tuple[Program, ...] = collection(Program)
    projects: tuple[Project, ...] = collection(Project)
    indicators: tuple[Indicator, ...] = collection(Indicator)
    indicator_values: tuple[IndicatorValue, ...] = collection(IndicatorValue)
    # -- village seed funds (revolving.py) ----------------------------------------------------
    revolving_funds: tuple[RevolvingFund, ...] = collection(RevolvingFund)
    loans: tuple[Loan, ...] = collection(Loan)
    repayments: tuple[Repayment, ...] = collection(Repayment)
    write_offs: tuple[WriteOff, ...] = collection(WriteOff)
    # -- figures the organisation reported (reported_figures.py) -------------------------------
    reported_figures: tuple[ReportedFigure, ...] = collection(ReportedFigure)
    # -- exchange rates (rates.py) -------------------------------------------------------------
    exchange_rates: tuple[ExchangeRate, ...] = collection(ExchangeRate)
    # -- volunteers, members and service sites (volunteers.py, sites.py) -----------------------
    teams: tuple[VolunteerTeam, ...] = collection(VolunteerTeam)
    volunteers: tuple[Volunteer, ...] = collection(Volunteer)
    service_activities: tuple[ServiceActivity, ...] = collection(ServiceActivity)
    service_hours: tuple[ServiceHours, ...] = collection(ServiceHours)
    members: tuple[Member, ...] = collection(Member)
    dues: tuple[DuesPayment, ...] = collection(DuesPayment)
    sites: tuple[ServiceSite, ...] = collection(ServiceSite)
    site_assessments: tuple[SiteAssessment, ...] = collection(SiteAssessment)
    # -- first-aid training (training.py) -----------------------------------------------------
    courses: tuple[Course, ...] = collection(Course)
    trainers: tuple[Trainer, ...] = collection(Trainer)
    attendances: tuple[Attendance, ...] = collection(Attendance)
    assessments: tuple[Assessment, ...] = collection(Assessment)
    certificates: tuple[Certificate, ...] = collection(Certificate)
    on_site_rescues: tuple[OnSiteRescue, ...] = collection(OnSiteRescue)
    # -- the three donations: blood, stem cells, body and organs (three_donations.py) ---------
    blood_drives: tuple[BloodDrive, ...] = collection(BloodDrive)
    blood_donations: tuple[BloodDonation, ...] = collection(BloodDonation)
    donor_registrations: tuple[DonorRegistration, ...] = collection(DonorRegistration)
    hla_matches: tuple[HlaMatch, ...] = collection(HlaMatch)
    completed_donations: tuple[CompletedDonation, ...] = collection(CompletedDonation)
    consent_withdrawals: tuple[ConsentWithdrawal, ...] = collection(ConsentWithdrawal)
    # -- undoing and retrying money events, and merged duplicates (donors, funds, dedupe) -----
    refunds: tuple[Refund, ...] = collection(Refund)
    reversals: tuple[Reversal, ...] = collection(Reversal)
    balance_assertions: tuple[BalanceAssertion, ...] = collection(BalanceAssertion)
    merges: tuple[Merge, ...] = collection(Merge)

    _indexes: dict[object, Any] = attrs.field(
        init=False, factory=_Cache, repr=False, eq=False, hash=False
    )

    # -- the collections --------------------------------------------------------------

    @classmethod
    def collection_types(cls) -> dict[str, type]:
        """Map each collection name of this dataset class to its record type."""
        return {
            a.name: a.metadata[COLLECTION] for a in attrs.fields(cls) if COLLECTION in a.metadata
        }

    def records(self, name: str, *, missing_ok: bool = False) -> tuple[Any, ...]:
        """The records of one collection, in the order given.

        Args:
            name: the collection's name, such as ``"donations"``.
            missing_ok: answer ``()`` instead of raising when this dataset class has no
                such collection (code that reads any dataset, a user's subclass too).

        Raises:
            KeyError: naming the known collections when ``name`` is not one of them.
        """
        types_ = self.collection_types()
        if name not in types_:
            if missing_ok:
                return ()
            known = ", ".join(types_) or "none"
            raise KeyError(f"{type(self).__name__} has no collection {name!r} (known: {known})")
        records: tuple[Any, ...] = getattr(self, name)
        return records

    def __iter__(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Iterate over ``(collection name, records)`` pairs."""
        for name in self.collection_types():
            yield name, getattr(self, name)

    def counts(self) -> dict[str, int]:
        """The number of records in each collection."""
        return {name: len(records) for name, records in self}

    def size(self) -> int:
        """The number of records in all collections together."""
        return sum(len(records) for _, records in self)

    def index(self, name: str, *, missing_ok: bool = False) -> Mapping[str, Any]:
        """A read-only map from id to record for one collection (built once, then kept).

        Where an id is used twice the first record wins; :meth:`validate` reports it.
        With ``missing_ok``, a collection this dataset class lacks is an empty map.

        Raises:
            KeyError: naming the known collections when ``name`` is not one of them.
        """
        cached = self._indexes.get(name)
        if cached is None:
            record_type = self.collection_types().get(name)
            if record_type is None and missing_ok:
                return _EMPTY
            if record_type is not None and not (
                attrs.has(record_type) and "id" in attrs.fields_dict(record_type)
            ):
                raise TypeError(f"the records of {name!r} have no 'id' to index them by")
            records = self.records(name)
            # Built at C speed from a tuple (a columnar source is read once, by the loop).
            # Where an id repeats the first record must win: then by the loop, which keeps it.
            by_id: dict[str, Any] | None = None
            if isinstance(records, tuple):
                by_id = dict(zip(map(_ID, records), records, strict=True))
                if len(by_id) != len(records):
                    by_id = None
            if by_id is None:
                by_id = {}
                for record in records:
                    by_id.setdefault(record.id, record)
            cached = MappingProxyType(by_id)
            self._indexes[name] = cached
        return cached

    def derived(self, key: str, make: Callable[[Self], T]) -> T:
        """Compute something from the whole dataset once, and keep it.

        Rules use it to share work (``dataset.derived("revolving:final-states", build)``):
        the dataset is immutable, so the result stays true.
        """
        slot = ("derived", key)  # never a collection name, which is a str
        cached = self._indexes.get(slot, _UNSET)
        if cached is _UNSET:
            cached = make(self)
            self._indexes[slot] = cached
        return cast(T, cached)

    def ledger(self) -> Ledger:
        """The ledger of every flow the records hold or imply, built once and kept.

        The flows of ``flows`` plus those that donations, loans, repayments and write-offs
        imply (:func:`humanaid.ledger.dataset_ledger`).
        """
        return self.derived("ledger", dataset_ledger)

    def get(self, name: str, id: str) -> Any | None:
        """The record with ``id`` in collection ``name``, or ``None``."""
        return self.index(name).get(id)

    def add(self, **records: Iterable[Any]) -> Self:
        """Return a new dataset with ``records`` appended to the named collections."""
        types_ = self.collection_types()
        changes: dict[str, tuple[Any, ...]] = {}
        for name, new in records.items():
            if name not in types_:
                known = ", ".join(types_) or "none"
                raise TypeError(f"'{name}' is not a collection of this dataset (known: {known})")
            changes[name] = (*getattr(self, name), *new)
        return attrs.evolve(self, **cast(dict[str, Any], changes))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Keep the short repr (counts, not a million records) on user datasets too: a
        # __repr__ already in the class body is left alone by attrs' decorator.
        super().__init_subclass__(**kwargs)
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = Dataset.__repr__  # type: ignore[method-assign]

    def __repr__(self) -> str:
        parts = [f"{name}={n}" for name, n in self.counts().items() if n]
        label = f"{self.name!r}, " if self.name else ""
        return f"{type(self).__name__}({label}{', '.join(parts) or 'empty'})"

    # -- checking ---------------------------------------------------------------------

    def validate(
        self,
        rules: Iterable[Rule] | None = None,
        *,
        builtin: bool = True,
        progress: Callable[[int, int | None], object] | None = None,
    ) -> Findings:
        """Run the built-in rules and ``rules`` and return every finding.

        Args:
            rules: your own rules, run after the built-in ones.
            builtin: set to ``False`` to run only ``rules``.
            progress: called as ``progress(done, total)`` before the first rule and
                after each one, counting rules: ``done`` rules of ``total`` have run.

        Never raises on bad data. A rule that itself fails (a bug in the rule) raises,
        with a note naming the rule.
        """
        from humanaid.rules import BUILTIN_RULES

        given: object = () if rules is None else rules
        if not isinstance(given, Iterable):
            name = getattr(given, "__name__", "rule")
            raise TypeError(f"rules must be an iterable of rules: pass [{name}], not {name}")
        mine: tuple[object, ...] = tuple(given)
        for rule in mine:
            if not callable(rule):
                raise TypeError(f"rule {rule!r} is not callable: a rule is a function of a dataset")
        found: list[Finding] = []
        counter = None
        if progress is not None:
            counter = _RuleCounter(progress, (len(BUILTIN_RULES) if builtin else 0) + len(mine))
        if builtin:
            # The built-in rules' findings are a function of the records, which never
            # change: found once, kept (summaries that report findings ask again).
            before = 0 if counter is None else counter.done

            def run(dataset: Dataset) -> tuple[Finding, ...]:
                out: list[Finding] = []
                with _gc.paused():  # the built-in rules build large indexes, make no cycles
                    dataset._run_rules(BUILTIN_RULES, out, counter)
                return tuple(out)

            found.extend(self.derived("validate:builtin", run))
            if counter is not None and counter.done == before:  # kept from an earlier run
                for _ in BUILTIN_RULES:
                    counter.step()
        # the caller's rules, with the collector running
        self._run_rules(cast(tuple[Rule, ...], mine), found, counter)
        with _gc.paused():  # sorting (perhaps) a million findings makes no cycles either
            return Findings(found)

    def _run_rules(
        self, rules: Iterable[Rule], found: list[Finding], counter: _RuleCounter | None = None
    ) -> None:
        for rule in rules:
            try:
                for finding in cast(Iterable[object], rule(self)):
                    if not isinstance(finding, Finding):
                        what = type(finding).__name__
                        raise TypeError(f"a rule must yield Finding values (got {what})")
                    found.append(finding)
            except Exception as exc:
                name = getattr(rule, "__qualname__", repr(rule))
                exc.add_note(f"while running the rule {name} over {self!r}")
                raise
            if counter is not None:
                counter.step()


class _RuleCounter:
    """Tells a ``progress`` callback how many of ``total`` rules have run."""

    def __init__(self, progress: Callable[[int, int | None], object], total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        progress(0, total)

    def step(self) -> None:
        """Count the rule that just ran."""
        self.done += 1
        self.progress(self.done, self.total)


def validate(
    dataset: Dataset,
    rules: Iterable[Rule] | None = None,
    *,
    builtin: bool = True,
    progress: Callable[[int, int | None], object] | None = None,
) -> Findings:
    """Check ``dataset``: the same as :meth:`Dataset.validate`."""
    return dataset.validate(rules, builtin=builtin, progress=progress)
