"""The built-in dataset rules, by theme.

:data:`BUILTIN_RULES` is an immutable tuple: :meth:`humanaid.Dataset.validate` runs it
and then the caller's rules. Nothing here is a registry to mutate; to run more rules, pass
them to ``validate(rules=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from humanaid.rules.beneficiaries import (
    areas_within_their_parents,
    case_payments_in_ledger,
    duplicate_id_numbers,
    duplicate_open_cases,
    household_heads_at_home,
    households_not_overfull,
    paid_over_approved,
    payments_after_their_case,
    probable_duplicate_persons,
    repeated_distributions,
)
from humanaid.rules.compliance import charity_spending_ratios
from humanaid.rules.currencies import duplicate_rates, money_without_rates
from humanaid.rules.events import events_in_the_ledger_once, flows_agree_with_their_records
from humanaid.rules.fundraising import (
    FUNDRAISING_RULES,
    as_of_rules,
    donations_before_existence,
    duplicate_gift_transactions,
    duplicate_receipts,
    fees_exceeding_gifts,
    future_donations,
    hierarchy_level_order,
    in_kind_valuation,
    missing_receipts,
    overdue_pledges,
    overpaid_pledges,
    parent_cycles,
    refunds_within_gifts,
    restriction_references,
    unqualified_public_appeals,
)
from humanaid.rules.funds import (
    balances_as_asserted,
    duplicate_flow_transactions,
    flows_match_their_origin,
    flows_name_known_parties,
    funds_not_overdrawn,
    restricted_gifts_not_in_general_funds,
    restricted_money_kept_to_purpose,
    reversals_undo_once,
)
from humanaid.rules.integrity import duplicate_ids, missing_references
from humanaid.rules.projects import (
    breakdowns_add_up,
    completed_projects_report_results,
    funding_adds_up_to_budget,
    records_in_their_project_programme,
    results_within_project_period,
    spending_within_budget,
    spending_within_period,
    stated_totals_match,
)
from humanaid.rules.reported import (
    REPORTED_RULES,
    parts_in_the_total_unit,
    parts_within_period,
    parts_within_total,
    parts_without_cycles,
)
from humanaid.rules.revolving import (
    currencies_match,
    disbursements_covered_by_cash,
    duplicate_repayment_transactions,
    loans_within_maximum,
    no_loans_to_households_in_arrears,
    repayments_on_open_loans,
    revolving_funds_linked,
    schedules_match_terms,
    write_offs_on_open_loans,
)
from humanaid.rules.sites import idle_sites, sites_meet_standard, sites_used_while_open
from humanaid.rules.three_donations import (
    THREE_DONATIONS_RULES,
    blood_drives_count_their_donations,
    donations_answer_their_match,
    no_duplicate_registrations,
    registration_histories_are_legal,
)
from humanaid.rules.training import (
    TRAINING_RULES,
    assessments_follow_attendance,
    attendances_within_courses,
    certificates_follow_a_pass,
    courses_name_known_trainers,
    renewals_are_consistent,
)
from humanaid.rules.volunteers import (
    double_booked_volunteers,
    hours_within_their_dates,
    lapsed_members,
)

__all__ = [
    "BUILTIN_RULES",
    "areas_within_their_parents",
    "as_of_rules",
    "assessments_follow_attendance",
    "attendances_within_courses",
    "balances_as_asserted",
    "blood_drives_count_their_donations",
    "breakdowns_add_up",
    "case_payments_in_ledger",
    "certificates_follow_a_pass",
    "charity_spending_ratios",
    "completed_projects_report_results",
    "courses_name_known_trainers",
    "currencies_match",
    "disbursements_covered_by_cash",
    "donations_answer_their_match",
    "donations_before_existence",
    "double_booked_volunteers",
    "duplicate_flow_transactions",
    "duplicate_gift_transactions",
    "duplicate_id_numbers",
    "duplicate_ids",
    "duplicate_open_cases",
    "duplicate_rates",
    "duplicate_receipts",
    "duplicate_repayment_transactions",
    "events_in_the_ledger_once",
    "fees_exceeding_gifts",
    "flows_agree_with_their_records",
    "flows_match_their_origin",
    "flows_name_known_parties",
    "funding_adds_up_to_budget",
    "funds_not_overdrawn",
    "future_donations",
    "hierarchy_level_order",
    "hours_within_their_dates",
    "household_heads_at_home",
    "households_not_overfull",
    "idle_sites",
    "in_kind_valuation",
    "lapsed_members",
    "loans_within_maximum",
    "missing_receipts",
    "missing_references",
    "money_without_rates",
    "no_duplicate_registrations",
    "no_loans_to_households_in_arrears",
    "overdue_pledges",
    "overpaid_pledges",
    "paid_over_approved",
    "parent_cycles",
    "parts_in_the_total_unit",
    "parts_within_period",
    "parts_within_total",
    "parts_without_cycles",
    "payments_after_their_case",
    "probable_duplicate_persons",
    "records_in_their_project_programme",
    "refunds_within_gifts",
    "registration_histories_are_legal",
    "renewals_are_consistent",
    "repayments_on_open_loans",
    "repeated_distributions",
    "restricted_gifts_not_in_general_funds",
    "restricted_money_kept_to_purpose",
    "restriction_references",
    "results_within_project_period",
    "reversals_undo_once",
    "revolving_funds_linked",
    "schedules_match_terms",
    "sites_meet_standard",
    "sites_used_while_open",
    "spending_within_budget",
    "spending_within_period",
    "stated_totals_match",
    "unqualified_public_appeals",
    "write_offs_on_open_loans",
]

if TYPE_CHECKING:
    from humanaid.dataset import Rule

BUILTIN_RULES: Final[tuple[Rule, ...]] = (
    # integrity
    duplicate_ids,
    missing_references,
    # fundraising and hierarchy (rules/fundraising.py)
    *FUNDRAISING_RULES,
    areas_within_their_parents,
    # funds and the ledger (rules/funds.py)
    flows_name_known_parties,
    flows_match_their_origin,
    events_in_the_ledger_once,  # every money event in the ledger once (rules/events.py)
    flows_agree_with_their_records,
    funds_not_overdrawn,
    restricted_money_kept_to_purpose,
    restricted_gifts_not_in_general_funds,
    reversals_undo_once,
    duplicate_flow_transactions,
    balances_as_asserted,
    charity_spending_ratios,
    # beneficiaries and cases (rules/beneficiaries.py)
    duplicate_id_numbers,
    probable_duplicate_persons,
    repeated_distributions,
    households_not_overfull,
    household_heads_at_home,
    duplicate_open_cases,
    paid_over_approved,
    case_payments_in_ledger,
    payments_after_their_case,
    # projects (rules/projects.py)
    funding_adds_up_to_budget,
    spending_within_budget,
    spending_within_period,
    completed_projects_report_results,
    stated_totals_match,
    breakdowns_add_up,
    results_within_project_period,
    records_in_their_project_programme,
    # revolving funds (rules/revolving.py)
    revolving_funds_linked,
    currencies_match,
    loans_within_maximum,
    disbursements_covered_by_cash,
    no_loans_to_households_in_arrears,
    repayments_on_open_loans,
    write_offs_on_open_loans,
    schedules_match_terms,
    duplicate_repayment_transactions,
    # reported figures (rules/reported.py)
    *REPORTED_RULES,
    # currencies and exchange rates (rules/currencies.py)
    duplicate_rates,
    money_without_rates,
    # volunteers and service sites (rules/volunteers.py, rules/sites.py)
    hours_within_their_dates,
    double_booked_volunteers,
    sites_meet_standard,
    sites_used_while_open,
    # first-aid training (rules/training.py)
    *TRAINING_RULES,
    # the three donations (rules/three_donations.py)
    *THREE_DONATIONS_RULES,
)
"""Every rule :meth:`Dataset.validate` runs by default, in order."""
