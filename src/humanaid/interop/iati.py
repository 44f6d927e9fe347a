"""Projects as IATI 2.03 activities (extra ``iati``).

The International Aid Transparency Initiative (IATI) publishes who funds, runs and
spends what, in one XML standard read by donors, aid-information systems and d-portal.
:func:`to_iati_xml` writes each :class:`~humanaid.Project` of a dataset as an
``<iati-activity>``; every export validates against the official 2.03 schema
(:func:`validate_iati` checks a document against it).

What each activity holds, in the order the schema requires:

* ``iati-identifier``: the reporting organisation's identifier (or ``identifier_prefix``),
  a hyphen and the project id (:func:`iati_identifier`);
* ``reporting-org``, ``title`` (the project's name), a generated ``description``;
* ``participating-org``: the **funders** (role 1: the funders named in the co-financing
  plan and whoever the project received money from), the owner as **accountable**
  (role 2) and **implementing** (role 4), with the operators of the project's village
  seed funds as implementing too;
* ``activity-status`` from :class:`~humanaid.ProjectStatus` (:data:`ACTIVITY_STATUS`),
  ``activity-date`` planned start and end, and the actual start (active, completed) and
  end (completed);
* ``recipient-country`` (``"CN"`` by default), a ``location`` for the project's area,
  a DAC 5-digit ``sector`` for its kind (:data:`DAC_SECTORS`);
* ``budget``: the original budget (type 1), committed (status 2) once the project is
  active, else indicative (1), cut into calendar years because IATI allows at most a
  year per budget line; the parts come from :meth:`Money.allocate
  <humanaid.Money.allocate>` by days, so they add up to the budget to the fen;
* ``transaction``: read off the ledger by :func:`activity_transactions`, with
  :class:`TransactionType` codes;
* ``result``: one output result (type 1) per indicator the project reports on, with
  its baseline (what was achieved before the project started), and for each period
  the target and actual values, a breakdown by sex or age group as ``dimension`` s.

lxml is imported by the first function that needs it; without it they raise an
``ImportError`` that names the extra: ``pip install 'humanaid[iati]'``. No clock is
read: ``generated`` is stamped on the document only when it is given.

>>> from datetime import date
>>> from humanaid import Dataset, Flow, Money, Organization, Party, Period, Project
>>> ds = Dataset(
...     organizations=[Organization(id="qj", name="曲靖市红十字会", level="city")],
...     projects=[Project(id="p1", name="青云村博爱家园", kind="community_resilience",
...                       organization_id="qj", period=Period.year(2020),
...                       budget=Money("450000"), status="active")],
...     flows=[Flow(id="f1", source=Party.organization("qj"), destination=Party.project("p1"),
...                 amount=Money("300000"), on=date(2020, 3, 1), kind="grant")],
... )
>>> xml = to_iati_xml(ds, reporting_org_id="CN-QJRC", reporting_org="qj")
>>> xml.splitlines()[0]
b"<?xml version='1.0' encoding='UTF-8'?>"
>>> [(str(t.type), t.value) for t in activity_transactions(ds, "p1")]
[('1', Money('300000.00', 'CNY'))]
"""

from __future__ import annotations

import enum
import functools
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs

from humanaid._extras import import_extra
from humanaid.cases import CaseStatus
from humanaid.dataset import Dataset
from humanaid.donors import DonorKind
from humanaid.errors import UnknownId
from humanaid.funds import Boundary, Crossing, Flow, FlowKind, Party, PartyKind, classify_flow
from humanaid.interop._parties import PartyInfo, PartyNames
from humanaid.money import Money
from humanaid.organizations import OrgKind, OrgLevel, ancestors
from humanaid.projects import (
    INDICATOR_CATALOGUE,
    Disaggregation,
    Indicator,
    IndicatorAggregation,
    IndicatorValue,
    Project,
    ProjectKind,
    ProjectStatus,
    indicator_total,
)

__all__ = [
    "ACTIVITY_STATUS",
    "DAC_SECTORS",
    "IATI_VERSION",
    "ORGANISATION_TYPES",
    "Transaction",
    "TransactionType",
    "activity_transactions",
    "iati_identifier",
    "to_iati",
    "to_iati_xml",
    "validate_iati",
]

IATI_VERSION: Final = "2.03"
"""The version of the IATI Activity Standard written."""

_XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"
_ONE_DAY: Final = timedelta(days=1)
# Characters XML 1.0 cannot hold (U+FFFE, lone surrogates ...): written as U+FFFD.
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# xsd:language, the type of xml:lang (RFC 3066 tags such as "zh", "zh-Hans", "en-GB").
_LANGUAGE: Final = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*\Z", re.ASCII)
_PREVIOUS_REPORTER: Final = "B1"  # OtherIdentifierType: previous reporting-org identifier


class TransactionType(enum.StrEnum):
    """The IATI TransactionType code list (2.03); the export writes codes 1 to 6.

    How ledger flows become transactions is explained in :func:`activity_transactions`.
    """

    INCOMING_FUNDS = "1"
    OUTGOING_COMMITMENT = "2"
    DISBURSEMENT = "3"
    EXPENDITURE = "4"
    INTEREST_PAYMENT = "5"
    LOAN_REPAYMENT = "6"
    REIMBURSEMENT = "7"
    PURCHASE_OF_EQUITY = "8"
    SALE_OF_EQUITY = "9"
    CREDIT_GUARANTEE = "10"
    INCOMING_COMMITMENT = "11"
    OUTGOING_PLEDGE = "12"
    INCOMING_PLEDGE = "13"


ACTIVITY_STATUS: Final[Mapping[ProjectStatus, str]] = MappingProxyType(
    {
        ProjectStatus.PLANNED: "1",  # Pipeline/identification
        ProjectStatus.ACTIVE: "2",  # Implementation
        ProjectStatus.COMPLETED: "4",  # Closed
        ProjectStatus.CANCELLED: "5",  # Cancelled
    }
)
"""The IATI ActivityStatus code of each project status."""

DAC_SECTORS: Final[Mapping[ProjectKind, str]] = MappingProxyType(
    {
        ProjectKind.COMMUNITY_RESILIENCE: "43060",  # Disaster Risk Reduction
        ProjectKind.MEDICAL_AID: "12191",  # Medical services
        ProjectKind.RELIEF_DISTRIBUTION: "72010",  # Material relief assistance and services
        ProjectKind.LIVELIHOOD: "43040",  # Rural development
        ProjectKind.PAIRED_ASSISTANCE: "43040",  # Rural development
        ProjectKind.SERVICE_STATION: "74020",  # Multi-hazard response preparedness
        ProjectKind.FIRST_AID_TRAINING: "74020",  # Multi-hazard response preparedness
        ProjectKind.CROWDFUNDING_APPEAL: "99810",  # Sectors not specified
        ProjectKind.OTHER: "99810",  # Sectors not specified
    }
)
"""The DAC 5-digit sector (IATI sector vocabulary 1) written for each kind of project.

Override it per export with ``sectors={ProjectKind.LIVELIHOOD: "16010"}``.
"""

ORGANISATION_TYPES: Final[Mapping[OrgKind, str]] = MappingProxyType(
    {
        OrgKind.RED_CROSS_SOCIETY: "22",  # National NGO
        OrgKind.HOSPITAL: "15",  # Other Public Sector
        OrgKind.ENTERPRISE: "70",  # Private Sector
        OrgKind.FOUNDATION: "60",  # Foundation
        OrgKind.GOVERNMENT: "11",  # Local Government (national level: 10, Government)
        OrgKind.PLATFORM: "70",  # Private Sector
        OrgKind.SOCIAL_GROUP: "22",  # National NGO
        OrgKind.OTHER: "90",  # Other
    }
)
"""The IATI OrganisationType code written for each kind of organisation."""

_DONOR_TYPES: Final = {
    DonorKind.ENTERPRISE: "70",
    DonorKind.FOUNDATION: "60",
    DonorKind.GOVERNMENT: "10",
    DonorKind.RED_CROSS_SOCIETY: "22",
    DonorKind.SOCIAL_GROUP: "22",
}
_ORG_PARTIES: Final = frozenset(
    {PartyKind.ORGANIZATION, PartyKind.FUND, PartyKind.PROJECT, PartyKind.DONOR}
)
_LOAN_KINDS: Final = frozenset({FlowKind.LOAN_DISBURSEMENT, FlowKind.LOAN_REPAYMENT})
_BORROWERS: Final = frozenset({PartyKind.HOUSEHOLD, PartyKind.PERSON, PartyKind.LOAN})
_AID_LOAN: Final = "410"  # FinanceType: Aid loan excluding debt reorganisation


def _etree() -> Any:
    return import_extra("lxml.etree", "IATI export", "iati")


def _checked_identifier(value: object, option: str) -> str:
    """An identifier given to an export, refused rather than altered if XML cannot hold it.

    Written with U+FFFD in place of a control or non-XML character, it would be an
    identifier nobody issued; so, like a record id, it must be non-empty text without
    control, invisible or non-XML characters or surrounding spaces.
    """
    if not isinstance(value, str):
        raise TypeError(f"{option!r} must be an identifier string (got {value!r})")
    if (
        not value
        or value != value.strip()
        or _NOT_XML.search(value)
        or any(unicodedata.category(c) in ("Cc", "Cf") for c in value)
    ):
        raise ValueError(
            f"{option!r} must be an identifier without control, invisible or non-XML "
            f"characters or surrounding spaces (got {value!r})"
        )
    return value


def iati_identifier(project_id: str, *, prefix: str) -> str:
    """The activity identifier of a project: ``prefix``, a hyphen, the project id.

    ``prefix`` is the reporting organisation's IATI identifier (or one it reported
    before), as the standard requires.

    >>> iati_identifier("qingyun", prefix="CN-QJRC")
    'CN-QJRC-qingyun'
    """
    return f"{prefix}-{project_id}"


# -- transactions -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Transaction:
    """One transaction of an activity, as :func:`activity_transactions` reads it.

    Attributes:
        ref: the flow id (for a commitment, ``case:<id>:approved``).
        type: the IATI transaction type.
        on: the day of the transaction (also its value date).
        value: the amount; negative for money given back (a refund reverses the
            payment it returns).
        provider: who the money comes from (for a negative value: who gave it first).
        receiver: who it goes to.
        flow_kind: the kind of the ledger flow (``None`` for a commitment).
        in_kind: ``True`` for goods valued in money.
        note: the flow's note (never personal data).
        crossing: how the project's boundary counts the flow (:func:`~humanaid.classify_flow`:
            raised, brought in, put in, or another crossing; ``None`` for a commitment).
    """

    ref: str
    type: TransactionType
    on: date
    value: Money
    provider: Party | None
    receiver: Party | None
    flow_kind: FlowKind | None = None
    in_kind: bool = False
    note: str = ""
    crossing: Crossing | None = None


def _is_organisation(party: Party) -> bool:
    return party.kind in (
        PartyKind.ORGANIZATION,
        PartyKind.FUND,
        PartyKind.PROJECT,
        PartyKind.REVOLVING_FUND,
    )


def _outgoing(other: Party) -> TransactionType:
    """Money placed with another body is a disbursement; anything else is spent."""
    return TransactionType.DISBURSEMENT if _is_organisation(other) else TransactionType.EXPENDITURE


def _classify(flow: Flow, entering: bool) -> tuple[TransactionType, int]:
    """The type of a flow crossing the activity's boundary, and its sign."""
    kind = flow.kind
    if entering:
        if kind is FlowKind.LOAN_REPAYMENT:
            return TransactionType.LOAN_REPAYMENT, 1
        if kind is FlowKind.INTEREST and flow.source.kind in _BORROWERS:
            return TransactionType.INTEREST_PAYMENT, 1
        if kind is FlowKind.REFUND:
            return _outgoing(flow.source), -1
        return TransactionType.INCOMING_FUNDS, 1
    if kind is FlowKind.REFUND:
        return TransactionType.INCOMING_FUNDS, -1
    if kind is FlowKind.LOAN_DISBURSEMENT:
        return TransactionType.DISBURSEMENT, 1
    return _outgoing(flow.destination), 1


_NOT_CROSSING: Final = Crossing.INTERNAL | Crossing.OUTSIDE


class _Books:
    """What the transactions of every project need, gathered once per dataset."""

    def __init__(self, dataset: Dataset, *, revolving_funds: bool, commitments: bool) -> None:
        self.dataset = dataset
        self.ledger = dataset.ledger()
        self.revolving_funds = revolving_funds
        self.village_funds: dict[str, list[Any]] = defaultdict(list)
        if revolving_funds:
            for fund in dataset.records("revolving_funds", missing_ok=True):
                self.village_funds[fund.project_id].append(fund)
        self.cases: dict[str, list[Any]] = defaultdict(list)
        if commitments:
            for case in dataset.records("cases", missing_ok=True):
                if case.project_id is not None and case.approved is not None:
                    self.cases[case.project_id].append(case)

    def transactions(self, project_id: str) -> tuple[Transaction, ...]:
        own = Party.project(project_id)
        boundary = Boundary.project(self.dataset, project_id, revolving_funds=self.revolving_funds)
        out: list[Transaction] = []
        for party in boundary.parties:
            for flow, _ in self.ledger.entries(party):
                crossing = classify_flow(flow, boundary)
                if crossing & _NOT_CROSSING:
                    continue  # moved inside the activity (project -> its own village fund)
                type_, sign = _classify(flow, boundary.contains(flow.destination))
                provider, receiver = flow.source, flow.destination
                if sign < 0:
                    provider, receiver = receiver, provider
                out.append(
                    Transaction(
                        ref=flow.id,
                        type=type_,
                        on=flow.on,
                        value=flow.amount if sign > 0 else -flow.amount,
                        provider=provider,
                        receiver=receiver,
                        flow_kind=flow.kind,
                        in_kind=flow.in_kind,
                        note=flow.note,
                        crossing=crossing,
                    )
                )
        for case in self.cases.get(project_id, ()):
            approved_on = case.reached(CaseStatus.APPROVED)
            if approved_on is None or not case.approved.is_positive():
                continue
            hospital = case.hospital_id
            out.append(
                Transaction(
                    ref=f"case:{case.id}:approved",
                    type=TransactionType.OUTGOING_COMMITMENT,
                    on=approved_on,
                    value=case.approved,
                    provider=own,
                    receiver=Party.organization(hospital) if hospital else Party.case(case.id),
                    note=f"aid approved for a {case.kind.value} case",
                )
            )
        out.sort(key=lambda t: (t.on, t.ref, t.type.value))
        return tuple(out)


def activity_transactions(
    dataset: Dataset,
    project_id: str,
    *,
    revolving_funds: bool = True,
    commitments: bool = True,
) -> tuple[Transaction, ...]:
    """The transactions of a project's activity, read off the ledger, in date order.

    The activity is the project's :class:`~humanaid.Boundary`
    (:meth:`Boundary.project <humanaid.Boundary.project>`): its ledger party and, with
    ``revolving_funds``, the village seed funds it set up
    (:class:`~humanaid.RevolvingFund` ``project_id``). Money moving between those (seed
    capital put into the project's own village fund) stays inside and is no
    transaction. Every flow that crosses the boundary is one, and carries its
    :class:`~humanaid.Crossing` (:func:`~humanaid.classify_flow`: the same count the
    project's :meth:`Ledger.totals <humanaid.Ledger.totals>` make), whichever IATI type
    it is written as:

    * into the activity: a ``LOAN_REPAYMENT`` is a **loan repayment** (6); ``INTEREST``
      paid by a borrower (a household, a person or a loan: interest, fees, penalties
      on a loan) an **interest payment** (5), while other interest (a bank's) is
      incoming funds; a ``REFUND`` received back reverses the payment it returns (a
      disbursement or an expenditure with a negative value); anything else is
      **incoming funds** (1);
    * out of the activity: a ``REFUND`` given back to a funder is **incoming funds** with
      a negative value; a ``LOAN_DISBURSEMENT`` (a village fund lending to a household) is
      a **disbursement** (3); money placed with an organisation, a fund, another project
      or a village fund is a **disbursement** (3); money spent on households, persons,
      cases, suppliers and costs is **expenditure** (4).

    So, without village funds, the incoming funds, interest payments and loan
    repayments add up to what :func:`~humanaid.project_finance` says the project
    received, and the disbursements and expenditure to what it spent. With
    ``commitments``, each case the project pays for that was approved with a positive
    amount is an **outgoing commitment** (2) on the day it was approved, to its hospital
    (or the case, named only as a group).
    Write-offs of loans are not transactions: no money moves.

    Raises:
        UnknownId: if the project is not in the dataset (a :class:`KeyError`), naming
            the nearest project ids.
    """
    UnknownId.lookup(dataset, "projects", project_id, argument="project_id")
    books = _Books(dataset, revolving_funds=revolving_funds, commitments=commitments)
    return books.transactions(project_id)


# -- the XML ----------------------------------------------------------------------------------


def _xml(text: str) -> str:
    """``text`` with any character XML cannot hold replaced by U+FFFD."""
    if text.isascii() and text.isprintable():
        return text
    return _NOT_XML.sub("\ufffd", text)


@functools.cache
def _sub_element() -> Any:
    return _etree().SubElement


def _add(parent: Any, tag: str, attrib: Mapping[str, str] | None = None) -> Any:
    if attrib:
        return _sub_element()(parent, tag, {k: _xml(v) for k, v in attrib.items()})
    return _sub_element()(parent, tag)


def _narrative(parent: Any, text: str, lang: str | None = None) -> None:
    element = _add(parent, "narrative", {_XML_LANG: lang} if lang else None)
    element.text = _xml(text)


def _texted(parent: Any, tag: str, text: str, attrib: Mapping[str, str] | None = None) -> Any:
    element = _add(parent, tag, attrib)
    _narrative(element, text)
    return element


def _decimal(value: Decimal) -> str:
    return format(value, "f")


def _money(parent: Any, tag: str, value: Money, on: date) -> None:
    element = _add(parent, tag, {"currency": value.currency, "value-date": on.isoformat()})
    element.text = _decimal(value.amount)


def _stamp(generated: datetime | date) -> str:
    if isinstance(generated, datetime):
        return generated.isoformat(timespec="seconds")
    if isinstance(generated, date):
        return f"{generated.isoformat()}T00:00:00"
    raise TypeError(f"'generated' must be a datetime or a date (got {generated!r})")


class _Activities:
    """Writes activities; everything it needs from the dataset is gathered once."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        reporting_org_id: str,
        reporting_org: str | None,
        identifier_prefix: str | None,
        org_refs: Mapping[str, str] | None,
        reporting_org_type: str | None,
        country: str | None,
        language: str,
        sectors: Mapping[ProjectKind, str] | None,
        revolving_funds: bool,
        commitments: bool,
        location_vocabulary: str | None,
        generated: datetime | date | None,
    ) -> None:
        self.dataset = dataset
        self.names = PartyNames(dataset)
        self.books = _Books(dataset, revolving_funds=revolving_funds, commitments=commitments)
        reporting_org_id = _checked_identifier(reporting_org_id, "reporting_org_id")
        if identifier_prefix is not None:
            identifier_prefix = _checked_identifier(identifier_prefix, "identifier_prefix")
        self.prefix = identifier_prefix or reporting_org_id
        # An earlier identifier of the reporter as prefix must be declared as one (B1).
        self.previous = self.prefix if self.prefix != reporting_org_id else None
        self.refs = {
            org_id: _checked_identifier(ref, "org_refs") for org_id, ref in (org_refs or {}).items()
        }
        if reporting_org is not None:
            self.refs.setdefault(reporting_org, reporting_org_id)
        self.reporting_ref = reporting_org_id
        if reporting_org is not None:
            reporter = self.names.organization(reporting_org)
            self.reporting_name = reporter.name
            self.reporting_type = reporting_org_type or self._type(reporter) or "22"
        else:
            self.reporting_name = reporting_org_id
            self.reporting_type = reporting_org_type or "22"
        self.country = country
        if not isinstance(language, str) or not _LANGUAGE.match(language):
            raise ValueError(
                "'language' must be a language code that xml:lang can hold, such as 'zh', "
                f"'zh-Hans' or 'en-GB' (got {language!r})"
            )
        self.language = language
        self.sectors = {**DAC_SECTORS, **{ProjectKind(k): v for k, v in (sectors or {}).items()}}
        self.location_vocabulary = location_vocabulary
        self.stamp = None if generated is None else _stamp(generated)
        self.programs = dataset.index("programs", missing_ok=True)
        self.areas = dataset.index("admin_areas", missing_ok=True)
        self.indicators: dict[str, Indicator] = {i.id: i for i in INDICATOR_CATALOGUE}
        self.indicators.update(dataset.index("indicators", missing_ok=True))
        self.order = {
            code: i for i, code in enumerate(dataset.index("indicators", missing_ok=True))
        }
        self.values: dict[str, list[IndicatorValue]] = defaultdict(list)
        for value in dataset.records("indicator_values", missing_ok=True):
            if value.project_id is not None:
                self.values[value.project_id].append(value)

    # -- organisations --------------------------------------------------------------

    def _type(self, info: PartyInfo) -> str | None:
        if info.organization_id is not None:
            org = self.names.orgs.get(info.organization_id)
            if org is None:
                return None
            if org.kind is OrgKind.GOVERNMENT and org.level in (None, OrgLevel.NATIONAL):
                return "10"
            return ORGANISATION_TYPES[org.kind]
        if info.donor_kind is not None:
            return _DONOR_TYPES.get(info.donor_kind)
        return None

    def _org_attrib(self, info: PartyInfo, *, activity_attr: str) -> dict[str, str]:
        attrib: dict[str, str] = {}
        ref = self.refs.get(info.organization_id) if info.organization_id else None
        if ref is not None:
            attrib["ref"] = ref
        if info.project_id is not None and info.project_id in self.names.projects:
            attrib[activity_attr] = iati_identifier(info.project_id, prefix=self.prefix)
        type_ = self._type(info)
        if type_ is not None:
            attrib["type"] = type_
        return attrib

    def _transaction_org(self, parent: Any, tag: str, party: Party | None) -> None:
        if party is None:
            return
        info = self.names.info(party)
        attr = "provider-activity-id" if tag == "provider-org" else "receiver-activity-id"
        _texted(parent, tag, info.name, self._org_attrib(info, activity_attr=attr))

    def _participants(
        self, project: Project, transactions: tuple[Transaction, ...]
    ) -> list[tuple[str, PartyInfo]]:
        funders: list[Party] = [s.funder for s in project.funding if s.funder is not None]
        funders += [
            t.provider
            for t in transactions
            if t.type is TransactionType.INCOMING_FUNDS
            and t.value.is_positive()
            and t.provider is not None
        ]
        out: list[tuple[str, PartyInfo]] = []
        seen: set[tuple[str, str, str | None]] = set()

        def add(role: str, info: PartyInfo) -> None:
            key = (role, info.name, info.organization_id)
            if key not in seen:
                seen.add(key)
                out.append((role, attrs.evolve(info, project_id=None)))

        for party in funders:
            if party.kind in _ORG_PARTIES:
                info = self.names.info(party)
                if not info.is_group:
                    add("1", info)
        owner = self.names.organization(project.organization_id)
        add("2", owner)
        add("4", owner)
        for fund in self.books.village_funds.get(project.id, ()):
            if fund.organization_id is not None:
                add("4", self.names.organization(fund.organization_id))
        return out

    # -- one activity ---------------------------------------------------------------

    def activity(self, root: Any, project: Project) -> None:
        transactions = self.books.transactions(project.id)
        attrib = {"default-currency": project.currency, _XML_LANG: self.language}
        if self.stamp is not None:
            attrib["last-updated-datetime"] = self.stamp
        act = _add(root, "iati-activity", attrib)
        _add(act, "iati-identifier").text = _xml(iati_identifier(project.id, prefix=self.prefix))
        reporter = {"ref": self.reporting_ref, "type": self.reporting_type}
        _texted(act, "reporting-org", self.reporting_name, reporter)
        _texted(act, "title", project.name)
        description = _add(act, "description", {"type": "1"})
        _narrative(description, self._description(project), "en")
        for role, info in self._participants(project, transactions):
            attrib = {"role": role, **self._org_attrib(info, activity_attr="activity-id")}
            _texted(act, "participating-org", info.name, attrib)
        if self.previous is not None:
            _add(act, "other-identifier", {"ref": self.previous, "type": _PREVIOUS_REPORTER})
        _add(act, "activity-status", {"code": ACTIVITY_STATUS[project.status]})
        self._dates(act, project)
        if self.country is not None:
            _add(act, "recipient-country", {"code": self.country})
        self._location(act, project)
        _add(act, "sector", {"vocabulary": "1", "code": self.sectors[project.kind]})
        self._budget(act, project)
        for t in transactions:
            self._transaction(act, t)
        self._results(act, project)

    def _description(self, project: Project) -> str:
        owner = self.names.organization(project.organization_id).name
        text = (
            f"{project.kind.value.replace('_', ' ')} project run by {owner}, "
            f"{project.period.start.isoformat()} to {project.period.end.isoformat()}"
        )
        program = self.programs.get(project.program_id) if project.program_id else None
        if program is not None:
            text += f"; programme {program.name}"
            if project.batch is not None:
                text += f", batch {project.batch}"
        return text + "."

    def _dates(self, act: Any, project: Project) -> None:
        start, end = project.period.start.isoformat(), project.period.end.isoformat()
        started = project.status in (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED)
        _add(act, "activity-date", {"type": "1", "iso-date": start})
        if started:
            _add(act, "activity-date", {"type": "2", "iso-date": start})
        _add(act, "activity-date", {"type": "3", "iso-date": end})
        if project.status is ProjectStatus.COMPLETED:
            _add(act, "activity-date", {"type": "4", "iso-date": end})

    def _location(self, act: Any, project: Project) -> None:
        area = self.areas.get(project.area_id) if project.area_id else None
        if area is None:
            return
        chain = [area, *ancestors(area.id, self.areas)]
        location = _add(act, "location", {"ref": area.id})
        _add(location, "location-reach", {"code": "1"})  # where the activity happens
        _texted(location, "name", area.name)
        _texted(location, "description", ", ".join(a.name for a in chain))
        if self.location_vocabulary is not None:
            for a in reversed(chain):
                level = str(a.level.depth)
                where = {"vocabulary": self.location_vocabulary, "code": a.id, "level": level}
                _add(location, "administrative", where)
        _add(location, "exactness", {"code": "2"})  # approximate: an area, not a point
        _add(location, "location-class", {"code": "1"})  # administrative region

    def _budget(self, act: Any, project: Project) -> None:
        years = project.period.years()
        parts = project.budget.allocate([p.days for p in years])
        committed = project.status in (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED)
        for year, amount in zip(years, parts, strict=True):
            budget = _add(act, "budget", {"type": "1", "status": "2" if committed else "1"})
            _add(budget, "period-start", {"iso-date": year.start.isoformat()})
            _add(budget, "period-end", {"iso-date": year.end.isoformat()})
            _money(budget, "value", amount, year.start)

    def _transaction(self, act: Any, t: Transaction) -> None:
        element = _add(act, "transaction", {"ref": t.ref})
        _add(element, "transaction-type", {"code": t.type.value})
        _add(element, "transaction-date", {"iso-date": t.on.isoformat()})
        _money(element, "value", t.value, t.on)
        what = t.flow_kind.value.replace("_", " ") if t.flow_kind is not None else "commitment"
        if t.in_kind:
            what += " in kind"
        if t.note:
            what += f": {t.note}"
        description = _add(element, "description")
        _narrative(description, what, "en" if not t.note else None)
        self._transaction_org(element, "provider-org", t.provider)
        self._transaction_org(element, "receiver-org", t.receiver)
        if t.flow_kind in _LOAN_KINDS or t.type is TransactionType.INTEREST_PAYMENT:
            _add(element, "finance-type", {"code": _AID_LOAN})

    # -- results --------------------------------------------------------------------

    def _results(self, act: Any, project: Project) -> None:
        by_indicator: dict[str, list[IndicatorValue]] = defaultdict(list)
        for value in self.values.get(project.id, ()):
            by_indicator[value.indicator_id].append(value)
        codes = sorted(by_indicator, key=lambda c: (self.order.get(c, len(self.order)), c))
        for code in codes:
            indicator = self.indicators.get(code) or Indicator(id=code, name=code, unit="units")
            self._result(act, project, indicator, by_indicator[code])

    def _result(
        self, act: Any, project: Project, indicator: Indicator, values: list[IndicatorValue]
    ) -> None:
        adds_up = "true" if indicator.aggregation is not IndicatorAggregation.MAX else "false"
        result = _add(act, "result", {"type": "1", "aggregation-status": adds_up})
        _texted(result, "title", indicator.name)
        element = _add(
            result,
            "indicator",
            {"measure": "1", "ascending": "true", "aggregation-status": adds_up},
        )
        _texted(element, "title", indicator.name)
        about = f"Unit: {indicator.unit}."
        if indicator.description:
            about = f"{indicator.description} {about}"
        _texted(element, "description", about)
        _add(element, "reference", {"vocabulary": "99", "code": indicator.id})
        start = project.period.start
        before = [v for v in values if v.period.end < start]
        baseline = indicator_total(indicator, before, as_of=start - _ONE_DAY)
        if baseline is not None:
            day = start - _ONE_DAY
            element_ = _add(
                element,
                "baseline",
                {"year": str(day.year), "iso-date": day.isoformat(), "value": _decimal(baseline)},
            )
            _texted(element_, "comment", "achieved before the project started")
        cells: dict[tuple[date, date], list[IndicatorValue]] = defaultdict(list)
        for v in values:
            if v.period.end >= start:
                cells[(v.period.start, v.period.end)].append(v)
        for (first, last), cell in sorted(cells.items()):
            period = _add(element, "period")
            _add(period, "period-start", {"iso-date": first.isoformat()})
            _add(period, "period-end", {"iso-date": last.isoformat()})
            for tag, wanted in (("target", True), ("actual", False)):
                self._figures(period, tag, indicator, [v for v in cell if v.target is wanted])

    def _figures(
        self, period: Any, tag: str, indicator: Indicator, values: list[IndicatorValue]
    ) -> None:
        if not values:
            return
        target = tag == "target"
        total = indicator_total(indicator, values, target=target)
        if total is None:  # pragma: no cover - values of the indicator always give one
            return
        _add(period, tag, {"value": _decimal(total)})
        parts: dict[Disaggregation, Decimal] = {}
        for v in values:
            if v.disaggregation is not None:
                parts[v.disaggregation] = parts.get(v.disaggregation, Decimal(0)) + v.value
        for group, figure in parts.items():
            element = _add(period, tag, {"value": _decimal(figure)})
            if group.sex is not None:
                _add(element, "dimension", {"name": "sex", "value": group.sex.value})
            if group.age_group is not None:
                _add(element, "dimension", {"name": "age", "value": group.age_group})


def to_iati(
    dataset: Dataset,
    *,
    reporting_org_id: str,
    reporting_org: str | None = None,
    reporting_org_type: str | None = None,
    projects: Iterable[str] | None = None,
    identifier_prefix: str | None = None,
    org_refs: Mapping[str, str] | None = None,
    generated: datetime | date | None = None,
    country: str | None = "CN",
    language: str = "zh",
    sectors: Mapping[ProjectKind, str] | None = None,
    revolving_funds: bool = True,
    commitments: bool = True,
    location_vocabulary: str | None = None,
) -> Any:
    """The dataset's projects as an IATI 2.03 ``<iati-activities>`` document (lxml tree).

    Args:
        dataset: the :class:`~humanaid.Dataset`.
        reporting_org_id: the reporting organisation's IATI organisation identifier,
            such as ``"CN-SCC-51530300MJ0000000X"`` (registration agency and number).
        reporting_org: the reporting organisation's id in the dataset: its name and
            kind describe it (without it, the identifier stands for the name).
        reporting_org_type: the IATI OrganisationType code of the reporter; by default
            from its kind (:data:`ORGANISATION_TYPES`), else ``"22"`` (national NGO).
        projects: the ids of the projects to export, in that order (default: all, in
            the dataset's order).
        identifier_prefix: the prefix of each ``iati-identifier`` (default:
            ``reporting_org_id``): an identifier the reporter had before, which each
            activity then declares as an ``other-identifier`` of type B1 (previous
            reporting organisation identifier), as the standard requires.
        org_refs: IATI organisation identifiers by dataset organisation id, written as
            ``ref`` of participating, provider and receiver organisations.
        generated: when the document was generated, written as ``generated-datetime``
            and as each activity's ``last-updated-datetime``; a date counts as midnight.
            Nothing is written without it: no clock is read.
        country: the ISO 3166-1 alpha-2 code of the recipient country, or ``None``.
        language: the default language of the narratives (names are as recorded).
        sectors: DAC 5-digit sector codes by project kind, over :data:`DAC_SECTORS`.
        revolving_funds: count the village seed funds a project set up as part of its
            activity (their loans, repayments and interest are its transactions).
        commitments: write approved case amounts as outgoing commitments.
        location_vocabulary: an IATI GeographicVocabulary code (``"A1"`` ...) under
            which the areas' ids are valid codes; with it, each location lists its
            administrative areas. (Chinese division codes belong to none of the IATI
            vocabularies, so by default the area's id is only the location's ``ref``.)

    Raises:
        UnknownId: naming a project id that is not in the dataset and the nearest known
            ones (a :class:`KeyError`).
        ValueError: if there is no project to export (the schema needs one activity),
            a project is named twice, an identifier (``reporting_org_id``,
            ``identifier_prefix``, an ``org_refs`` value) has control, invisible or
            non-XML characters or surrounding spaces, or ``language`` is no language
            code.
        ImportError: without lxml, naming the extra ``humanaid[iati]``.
    """
    etree = _etree()
    index = dataset.index("projects", missing_ok=True)
    if projects is None:
        chosen: list[Project] = list(dataset.records("projects", missing_ok=True))
    else:
        chosen = []
        named: set[str] = set()
        for project_id in projects:
            if project_id not in index:
                UnknownId.lookup(dataset, "projects", project_id, argument="projects")
            if project_id in named:
                raise ValueError(
                    f"'projects' names {project_id!r} more than once: each activity's "
                    "iati-identifier must be unique"
                )
            named.add(project_id)
            chosen.append(index[project_id])
    if not chosen:
        raise ValueError(
            "no projects to export: an IATI activities document must hold at least one "
            "iati-activity"
        )
    writer = _Activities(
        dataset,
        reporting_org_id=reporting_org_id,
        reporting_org=reporting_org,
        identifier_prefix=identifier_prefix,
        org_refs=org_refs,
        reporting_org_type=reporting_org_type,
        country=country,
        language=language,
        sectors=sectors,
        revolving_funds=revolving_funds,
        commitments=commitments,
        location_vocabulary=location_vocabulary,
        generated=generated,
    )
    attrib = {"version": IATI_VERSION}
    if writer.stamp is not None:
        attrib["generated-datetime"] = writer.stamp
    root = etree.Element("iati-activities", attrib)
    for project in chosen:
        writer.activity(root, project)
    return etree.ElementTree(root)


def to_iati_xml(dataset: Dataset, **options: Any) -> bytes:
    """The IATI document of :func:`to_iati` as UTF-8 XML bytes, indented.

    Takes the same keyword arguments as :func:`to_iati`. Write it with
    ``Path("activities.xml").write_bytes(to_iati_xml(ds, reporting_org_id=...))``.
    """
    tree = to_iati(dataset, **options)
    result: bytes = _etree().tostring(
        tree, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return result


@functools.lru_cache(maxsize=4)
def _schema(path: str) -> Any:
    etree = _etree()
    return etree.XMLSchema(etree.parse(path))


def validate_iati(document: Any, schema: str | os.PathLike[str]) -> tuple[str, ...]:
    """Check an IATI activities document against the official schema; ``()`` if valid.

    Args:
        document: XML bytes (as :func:`to_iati_xml` gives) or an lxml tree or element.
        schema: the path of ``iati-activities-schema.xsd`` (from IATI-Schemas, version
            2.03), with ``iati-common.xsd`` and ``xml.xsd`` beside it.

    Returns:
        One message per schema error, with its line: ``"line 12: Element 'budget': ..."``.

    The schema checks the structure; code-list values are IATI's code lists' job.
    """
    etree = _etree()
    if isinstance(document, bytes | bytearray):
        document = etree.fromstring(bytes(document))
    checker = _schema(os.fspath(schema))
    if checker.validate(document):
        return ()
    return tuple(f"line {e.line}: {e.message}" for e in checker.error_log)
