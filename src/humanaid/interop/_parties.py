"""Publishable names for ledger parties, shared by the IATI and HXL exports.

A flow's source or destination is a :class:`~humanaid.Party`: an organisation, a fund, a
donor, a project, a household ... An export names it the way a public report may: an
organisation by its name, a fund by the organisation that holds it, a donor by the
``public_name`` it agreed to (never its ``name``, which is personal data), and
beneficiaries only as a group ("households"), never one by one.
"""

from __future__ import annotations

from typing import Final

import attrs

from humanaid.dataset import Dataset
from humanaid.donors import DonorKind
from humanaid.funds import FundKind, Party, PartyKind

_GROUPS: Final = {
    PartyKind.HOUSEHOLD: "households",
    PartyKind.PERSON: "individuals",
    PartyKind.CASE: "aid case beneficiaries",
    PartyKind.LOAN: "borrowing households",
}


@attrs.frozen
class PartyInfo:
    """What an export may say about a party.

    Attributes:
        name: a publishable name (never personal data).
        organization_id: the dataset organisation the party stands for, if any (a fund
            stands for the organisation holding it, a project for its owner).
        project_id: the project, when the party is one.
        donor_kind: the kind of donor, when the party is a donor not known as an
            organisation.
        is_group: ``True`` for beneficiaries named only as a group.
    """

    name: str
    organization_id: str | None = None
    project_id: str | None = None
    donor_kind: DonorKind | None = None
    is_group: bool = False


class PartyNames:
    """Looks parties up in a dataset once and remembers the answer."""

    def __init__(self, dataset: Dataset) -> None:
        self.orgs = dataset.index("organizations", missing_ok=True)
        self.funds = dataset.index("funds", missing_ok=True)
        self.donors = dataset.index("donors", missing_ok=True)
        self.projects = dataset.index("projects", missing_ok=True)
        self.revolving = dataset.index("revolving_funds", missing_ok=True)
        self._seen: dict[Party, PartyInfo] = {}

    def organization(self, org_id: str) -> PartyInfo:
        """An organisation by id; an unknown one is named by its id."""
        org = self.orgs.get(org_id)
        return PartyInfo(name=org.name if org is not None else org_id, organization_id=org_id)

    def info(self, party: Party) -> PartyInfo:
        """What may be said about ``party``."""
        found = self._seen.get(party)
        if found is None:
            found = self._seen[party] = self._info(party)
        return found

    def _info(self, party: Party) -> PartyInfo:
        kind = party.kind
        if kind is PartyKind.ORGANIZATION:
            return self.organization(party.id)
        if kind is PartyKind.FUND:
            fund = self.funds.get(party.id)
            if fund is None:
                return PartyInfo(name=f"fund {party.id}")
            if fund.kind is FundKind.SPECIAL and fund.sponsor_id is not None:
                # A special fund is hosted for its sponsor: the money is the sponsor's.
                return self.organization(fund.sponsor_id)
            return self.organization(fund.organization_id)
        if kind is PartyKind.PROJECT:
            project = self.projects.get(party.id)
            if project is None:
                return PartyInfo(name=f"project {party.id}", project_id=party.id)
            owner = self.organization(project.organization_id)
            return attrs.evolve(owner, project_id=party.id)
        if kind is PartyKind.DONOR:
            return self._donor(party.id)
        if kind is PartyKind.REVOLVING_FUND:
            fund = self.revolving.get(party.id)
            name = fund.name if fund is not None else f"village fund {party.id}"
            operator = fund.organization_id if fund is not None else None
            return PartyInfo(name=name, organization_id=operator)
        if kind in _GROUPS:
            return PartyInfo(name=_GROUPS[kind], is_group=True)
        return PartyInfo(name=party.id)  # OUTSIDE: its label ("suppliers", "bank" ...)

    def _donor(self, donor_id: str) -> PartyInfo:
        donor = self.donors.get(donor_id)
        if donor is None:
            return PartyInfo(name="donors", is_group=True)
        if donor.organization_id is not None:
            return self.organization(donor.organization_id)
        if donor.kind is DonorKind.ANONYMOUS:
            return PartyInfo(name="anonymous donors", donor_kind=donor.kind, is_group=True)
        if donor.public_name is not None:
            return PartyInfo(name=donor.public_name, donor_kind=donor.kind)
        if donor.kind is DonorKind.INDIVIDUAL:
            # A person's name is personal data: without a public name, only the group.
            return PartyInfo(name="individual donors", donor_kind=donor.kind, is_group=True)
        return PartyInfo(name=donor.public_label, donor_kind=donor.kind)
