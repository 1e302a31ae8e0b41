"""Bind every sealed value to its row: a random seal id per row, in the associated data."""

from django.db import migrations

from sulh.keys.fields import row_seal_operations


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_rule_out_of_event_details")]

    operations = [
        *row_seal_operations(
            "case",
            "cases_case",
            {
                "proposed_rule": "cases.Case.proposed_rule",
                "proposed_destinations": "cases.Case.proposed_destinations",
                "proposal_explanation": "cases.Case.proposal_explanation",
                "destination": "cases.Case.destination",
                "handed_over_to": "cases.Case.handed_over_to",
            },
        ),
        *row_seal_operations(
            "caseevent",
            "cases_caseevent",
            {
                "reason": "cases.CaseEvent.reason",
            },
        ),
        *row_seal_operations(
            "decision",
            "cases_decision",
            {
                "destination": "cases.Decision.destination",
                "rule_id": "cases.Decision.rule_id",
                "reason": "cases.Decision.reason",
                "second_reason": "cases.Decision.second_reason",
            },
        ),
        *row_seal_operations(
            "eligibilityrevocation",
            "cases_eligibilityrevocation",
            {
                "reason": "cases.EligibilityRevocation.reason",
                "second_reason": "cases.EligibilityRevocation.second_reason",
            },
        ),
        *row_seal_operations(
            "exportrequest",
            "registry_exportrequest",
            {
                "purpose": "registry.ExportRequest.purpose",
            },
        ),
    ]
