"""Reads of export requests, through one access helper (default deny)."""

from __future__ import annotations

from sulh.accounts.models import User
from sulh.accounts.policy import Action, require
from sulh.core.errors import NotFound
from sulh.registry.models import ExportRequest


def export_get_for_user(*, user: User, export_id: int, action: Action) -> ExportRequest:
    """An export request, for a role that may take ``action`` on exports: the role is
    asked first (403 whether or not the request exists), then the request (404)."""
    require(user, action)
    found = ExportRequest.objects.select_related("program", "requested_by", "approved_by")
    request = found.filter(pk=export_id).first()
    if request is None:
        raise NotFound(f"no export {export_id}", field="id")
    return request
