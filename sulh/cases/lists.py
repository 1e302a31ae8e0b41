"""Importing a screening list version: matching stores it and finds the registered cases it
hits; here their candidates are opened and the cases go back to review."""

from __future__ import annotations

from pathlib import Path

from sulh.accounts.models import User
from sulh.audit.services import audit_record
from sulh.cases import services as case_services
from sulh.cases.models import Case
from sulh.matching.candidates import candidates_create
from sulh.matching.lists import (
    Progress,
    list_expected_alerts,  # noqa: F401  (the command's)
    list_store,
    list_version_hits,
)
from sulh.matching.models import CandidateKind, ScreeningList


def list_import(
    *, path: Path, name: str, user: User | None, source: str = "", progress: Progress | None = None
) -> ScreeningList:
    """Import a list version from CSV (the batch schema plus an optional aliases column) or
    the UN Security Council consolidated list XML, then re-screen the registered cases that
    share a blocking key with it (no other case can match it). ``progress(stage, done, total)``
    is told how far the import and the re-screening are."""
    screening_list = list_store(path=path, name=name, user=user, source=source, progress=progress)
    matched = list_rescreen(screening_list=screening_list, user=user, progress=progress)
    audit_record(
        actor=user, action="list.rescreened", obj_type="screening_list",
        obj_id=f"{screening_list.name}:{screening_list.version}",
        details={"cases_matched": matched},
    )  # fmt: skip
    return screening_list


def list_rescreen(
    *, screening_list: ScreeningList, user: User | None, progress: Progress | None = None
) -> int:
    """Screen against one list version every registered case sharing a key with it; the
    number of cases it matched (each goes back to review when it was waiting on a
    decision)."""
    matched = 0
    for case_id, hits in list_version_hits(screening_list=screening_list, progress=progress):
        candidates_create(case_id=case_id, kind=CandidateKind.LIST, found=hits)
        matched += 1
        case_services.case_review_reopen(
            case=Case.objects.get(pk=case_id),
            actor=user,
            reason="a new list version matched this case",
        )
    return matched
