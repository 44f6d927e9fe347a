"""humanaid: a typed model of humanitarian aid programmes.

Donors and donations, funds and the money that flows through them, aid cases and
beneficiaries, programmes and projects, and the village seed funds that lend and are
repaid: records that check themselves as they are made, datasets checked against the
rules an aid society must follow, and the figures reports ask for.

>>> import humanaid
>>> humanaid.Money.parse("989.32万元").format(unit="万元")
'989.32万元'

The public names are importable from here, grouped below by concept; the submodules are
the rooms behind this face. Two kinds of public name live only in their room:

* the verbs of the aggregation engine, which read badly beside ``Money`` and
  ``Ledger.totals``: ``total``, ``count``, ``distinct``, ``sum_of``, ``period_key``,
  ``area_key``, ``lookup_key``, ``parent_map``, ``field_is``, ``field_between``,
  ``shares``, ``growth``, ``sort_key`` and ``SHARE_PLACES`` are in
  :mod:`humanaid.aggregate` (``from humanaid.aggregate import total, count``), beside the
  query :func:`tabulate` that uses them; ``humanaid.total`` and the others still work, with
  a :class:`DeprecationWarning`, until the next release;
* :mod:`humanaid.testing` (Hypothesis strategies) needs the ``test`` extra and is
  imported on its own.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any, Final

# The imports are grouped by concept, not by module name, so isort leaves them be.
# isort: off
# Money and periods: exact amounts, one currency at a time, and the spans figures cover.
from humanaid.money import DEFAULT_CURRENCY, MAX_AMOUNT, Money, Rounding, known_currencies
from humanaid.periods import Frequency, Granularity, Period, due_dates

# Records and findings: field helpers records are made of, what checks find, errors.
from humanaid.records import (
    date_field,
    enum_field,
    id_field,
    instance_of,
    money_field,
    non_empty_text,
    non_negative,
    pii_field,
    pii_field_names,
    positive,
    record_field,
    ref_field,
    references,
    text_field,
    tuple_field,
)
from humanaid.findings import Figure, Finding, Findings, Severity
from humanaid.errors import (
    ERROR_CODES,
    CurrencyMismatch,
    FindingsError,
    InvalidInput,
    Problem,
    UnknownId,
    format_path,
)

# Organisations and donors: who gives, to whom, through which appeals; donor roll-ups.
from humanaid.organizations import (
    AdminArea,
    AdminLevel,
    Governance,
    GoverningBody,
    GoverningBodyKind,
    Organization,
    OrgKind,
    OrgLevel,
    Qualification,
    QualificationKind,
    ancestors,
    enclosing_area,
)
from humanaid.donors import (
    Campaign,
    CampaignTotals,
    Channel,
    Donation,
    DonationForm,
    Donor,
    DonorKind,
    InKindItem,
    NoReceiptReason,
    Pledge,
    PledgeInstallment,
    Refund,
    Restriction,
    ValuationBasis,
)
from humanaid.rollups import (
    DonorRollup,
    GiftCount,
    Retention,
    donor_rollups,
    gift_counts,
    gift_counts_by_channel,
    gift_counts_by_donor_kind,
    gift_counts_by_period,
    lybunt,
    retention,
    retention_rate,
    sybunt,
)

# Funds: where money sits and moves, the ledger, the charity-law spending ratios.
from humanaid.funds import (
    Boundary,
    BoundaryTotals,
    Crossing,
    Flow,
    FlowKind,
    Fund,
    FundKind,
    Ledger,
    Origin,
    Party,
    PartyKind,
    Statement,
    classify_flow,
    derived_flow_id,
    donation_flows,
)
from humanaid.funds import (
    REVERSIBLE_COLLECTIONS,
    BalanceAssertion,
    Reversal,
    duplicate_transactions,
    refund_flows,
    reversed_ids,
)
from humanaid.compliance import (
    ADMIN_COST_EXEMPTION,
    SPENDING_RULES,
    CharityForm,
    SpendingBase,
    SpendingFigures,
    SpendingRule,
    SpendingVerdict,
    assess_spending,
    spending_figures,
    spending_rule_for,
)

# Beneficiaries and cases: persons, households, cases, screenings, handouts, privacy.
from humanaid.beneficiaries import (
    EARLIEST_BIRTH_DATE,
    Household,
    HouseholdFlag,
    Person,
    Pseudonyms,
    Sex,
    check_resident_id,
    name_key,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_sex,
)
from humanaid.cases import (
    CASE_TRANSITIONS,
    CLOSED_STATUSES,
    SERVICE_STATUSES,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Condition,
    Distribution,
    Screening,
    ScreeningOutcome,
)
from humanaid.privacy import (
    DIRECT_IDENTIFIERS,
    KEY_MIN_BYTES,
    SuppressedTable,
    pseudonym,
    redact,
    suppress_small_cells,
)
from humanaid.dedupe import (
    DuplicateMatch,
    Merge,
    merge_donors,
    merge_persons,
    names_compared_by_sound,
    probable_duplicates,
    sound_key,
)

# Projects: programmes and projects, their funding, spending and results.
from humanaid.projects import (
    INDICATOR_CATALOGUE,
    Disaggregation,
    FundingShare,
    FundingSourceKind,
    Indicator,
    IndicatorAggregation,
    IndicatorProgress,
    IndicatorValue,
    Program,
    ProgramBatch,
    ProgramFinance,
    Project,
    ProjectFinance,
    ProjectKind,
    ProjectStatus,
    SourceLine,
    funding_source,
    indicator_total,
    indicator_totals,
    leverage,
    program_finance,
    progress,
    project_finance,
    project_spending,
    results,
)

# Seed funds: village revolving funds, their loans, repayments and portfolio.
from humanaid.revolving import (
    WRITE_OFF_FLOW_KIND,
    AppliedReschedule,
    AppliedWriteOff,
    Installment,
    InstallmentState,
    LendingTerms,
    Loan,
    LoanState,
    LoanStatus,
    PortfolioReport,
    Repayment,
    RepaymentAllocation,
    RepaymentFrequency,
    RepaymentMethod,
    Reschedule,
    RevolvingFund,
    WriteOff,
    allocate_repayments,
    latest_loan_states,
    loan_states,
    portfolio_report,
    repayment_schedule,
    revolving_flows,
    revolving_ledger,
)
from humanaid.revolving.books import repayments_left_out, repayments_not_booked

# Dataset and rules: every record in one checked whole, and the rules it is checked by.
from humanaid.dataset import Dataset, Rule, collection, validate
from humanaid.ledger import (
    booked_donations,
    booked_flows,
    booked_refunds,
    dataset_flows,
    dataset_ledger,
    not_booked,
)
from humanaid.source import RecordSource
from humanaid.rules import BUILTIN_RULES
from humanaid.rules.compliance import DEFAULT_CHARITY_FORMS, spending_ratio_rule
from humanaid.rules.fundraising import as_of_rules, future_donations, overdue_pledges

# Figures: the aggregation query (its verbs: humanaid.aggregate), reach, summaries.
from humanaid import aggregate as _aggregate
from humanaid.aggregate import FieldCondition, Key, Measure, tabulate
from humanaid.reach import Funnel, FunnelStage, Reach, funnel, reach
from humanaid.summaries import (
    FUNDRAISING_DIMENSIONS,
    YearAtAGlance,
    campaign_summary,
    fundraising_summary,
    medical_summary,
    project_summary,
    relief_summary,
    results_summary,
    revolving_summary,
    top_donors,
    year_at_a_glance,
)

# Tables and reported figures: what summaries return; printed figures beside the records.
from humanaid.table import Column, ColumnKind, Table
from humanaid.reported_figures import ReportedFigure, parse_figure
from humanaid.reconciliation import ReconciledFigure, Reconciliation, reconcile

# Exchange: records in and out as dicts, JSON and CSV, checked on the way in.
from humanaid.serialize import (
    from_dict,
    from_json,
    iter_json_lines,
    make_converter,
    to_dict,
    to_json,
)
from humanaid.io import (
    CsvColumn,
    CsvColumnKind,
    CsvProblem,
    CsvRead,
    CsvRow,
    CsvSchema,
    iter_csv,
    read_csv,
    write_csv,
)

# Version: the release, such as "0.9.0".
from humanaid._version import __version__
# isort: on

__all__ = [
    "ADMIN_COST_EXEMPTION",
    "BUILTIN_RULES",
    "CASE_TRANSITIONS",
    "CLOSED_STATUSES",
    "DEFAULT_CHARITY_FORMS",
    "DEFAULT_CURRENCY",
    "DIRECT_IDENTIFIERS",
    "EARLIEST_BIRTH_DATE",
    "ERROR_CODES",
    "FUNDRAISING_DIMENSIONS",
    "INDICATOR_CATALOGUE",
    "KEY_MIN_BYTES",
    "MAX_AMOUNT",
    "REVERSIBLE_COLLECTIONS",
    "SERVICE_STATUSES",
    "SPENDING_RULES",
    "WRITE_OFF_FLOW_KIND",
    "AdminArea",
    "AdminLevel",
    "AppliedReschedule",
    "AppliedWriteOff",
    "BalanceAssertion",
    "Boundary",
    "BoundaryTotals",
    "Campaign",
    "CampaignTotals",
    "Case",
    "CaseEvent",
    "CaseKind",
    "CaseStatus",
    "Channel",
    "CharityForm",
    "Column",
    "ColumnKind",
    "Condition",
    "Crossing",
    "CsvColumn",
    "CsvColumnKind",
    "CsvProblem",
    "CsvRead",
    "CsvRow",
    "CsvSchema",
    "CurrencyMismatch",
    "Dataset",
    "Disaggregation",
    "Distribution",
    "Donation",
    "DonationForm",
    "Donor",
    "DonorKind",
    "DonorRollup",
    "DuplicateMatch",
    "FieldCondition",
    "Figure",
    "Finding",
    "Findings",
    "FindingsError",
    "Flow",
    "FlowKind",
    "Frequency",
    "Fund",
    "FundKind",
    "FundingShare",
    "FundingSourceKind",
    "Funnel",
    "FunnelStage",
    "GiftCount",
    "Governance",
    "GoverningBody",
    "GoverningBodyKind",
    "Granularity",
    "Household",
    "HouseholdFlag",
    "InKindItem",
    "Indicator",
    "IndicatorAggregation",
    "IndicatorProgress",
    "IndicatorValue",
    "Installment",
    "InstallmentState",
    "InvalidInput",
    "Key",
    "Ledger",
    "LendingTerms",
    "Loan",
    "LoanState",
    "LoanStatus",
    "Measure",
    "Merge",
    "Money",
    "NoReceiptReason",
    "OrgKind",
    "OrgLevel",
    "Organization",
    "Origin",
    "Party",
    "PartyKind",
    "Period",
    "Person",
    "Pledge",
    "PledgeInstallment",
    "PortfolioReport",
    "Problem",
    "Program",
    "ProgramBatch",
    "ProgramFinance",
    "Project",
    "ProjectFinance",
    "ProjectKind",
    "ProjectStatus",
    "Pseudonyms",
    "Qualification",
    "QualificationKind",
    "Reach",
    "ReconciledFigure",
    "Reconciliation",
    "RecordSource",
    "Refund",
    "Repayment",
    "RepaymentAllocation",
    "RepaymentFrequency",
    "RepaymentMethod",
    "ReportedFigure",
    "Reschedule",
    "Restriction",
    "Retention",
    "Reversal",
    "RevolvingFund",
    "Rounding",
    "Rule",
    "Screening",
    "ScreeningOutcome",
    "Severity",
    "Sex",
    "SourceLine",
    "SpendingBase",
    "SpendingFigures",
    "SpendingRule",
    "SpendingVerdict",
    "Statement",
    "SuppressedTable",
    "Table",
    "UnknownId",
    "ValuationBasis",
    "WriteOff",
    "YearAtAGlance",
    "__version__",
    "allocate_repayments",
    "ancestors",
    "as_of_rules",
    "assess_spending",
    "booked_donations",
    "booked_flows",
    "booked_refunds",
    "campaign_summary",
    "check_resident_id",
    "classify_flow",
    "collection",
    "dataset_flows",
    "dataset_ledger",
    "date_field",
    "derived_flow_id",
    "donation_flows",
    "donor_rollups",
    "due_dates",
    "duplicate_transactions",
    "enclosing_area",
    "enum_field",
    "format_path",
    "from_dict",
    "from_json",
    "funding_source",
    "fundraising_summary",
    "funnel",
    "future_donations",
    "gift_counts",
    "gift_counts_by_channel",
    "gift_counts_by_donor_kind",
    "gift_counts_by_period",
    "id_field",
    "indicator_total",
    "indicator_totals",
    "instance_of",
    "iter_csv",
    "iter_json_lines",
    "known_currencies",
    "latest_loan_states",
    "leverage",
    "loan_states",
    "lybunt",
    "make_converter",
    "medical_summary",
    "merge_donors",
    "merge_persons",
    "money_field",
    "name_key",
    "names_compared_by_sound",
    "non_empty_text",
    "non_negative",
    "not_booked",
    "overdue_pledges",
    "parse_figure",
    "pii_field",
    "pii_field_names",
    "portfolio_report",
    "positive",
    "probable_duplicates",
    "program_finance",
    "progress",
    "project_finance",
    "project_spending",
    "project_summary",
    "pseudonym",
    "reach",
    "read_csv",
    "reconcile",
    "record_field",
    "redact",
    "ref_field",
    "references",
    "refund_flows",
    "relief_summary",
    "repayment_schedule",
    "repayments_left_out",
    "repayments_not_booked",
    "resident_id_birth_date",
    "resident_id_check_char",
    "resident_id_sex",
    "results",
    "results_summary",
    "retention",
    "retention_rate",
    "reversed_ids",
    "revolving_flows",
    "revolving_ledger",
    "revolving_summary",
    "sound_key",
    "spending_figures",
    "spending_ratio_rule",
    "spending_rule_for",
    "suppress_small_cells",
    "sybunt",
    "tabulate",
    "text_field",
    "to_dict",
    "to_json",
    "top_donors",
    "tuple_field",
    "validate",
    "write_csv",
    "year_at_a_glance",
]

# Names that left the face for their room, each still reachable here until the next release:
# the verbs of the aggregation engine, which are every name of humanaid.aggregate not above.
_MOVED: Final = dict.fromkeys(sorted(set(_aggregate.__all__) - set(__all__)), "humanaid.aggregate")


def __getattr__(name: str) -> Any:
    """A name that moved to its room, with a :class:`DeprecationWarning` saying where."""
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"humanaid.{name} is now {module}.{name}; the old path goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), name)
