"""A copy of the database holds no name, birth date or national number in clear, in any script."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.db import connection

from sulh.cards.services import card_issue
from sulh.cases import services as case_services
from sulh.cases.intake import intake_register
from sulh.core.validation import parse
from sulh.registry.schemas import IntakeIn
from sulh.synth import generate_people
from tests.conftest import make_intake

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2016, 8, 10, 9, tzinfo=dt.UTC)


def _every_value_in_the_database() -> str:
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from the schema
            parts.extend(
                str(value) for row in cursor.fetchall() for value in row if value is not None
            )
    return "\n".join(parts)


def test_registered_people_cannot_be_read_from_a_dump(personas, programs):
    rng = random.Random(4)
    secrets: list[str] = []
    for person in generate_people(12, seed=99):
        fields = person.as_intake_person(rng=rng)
        fields["national_id"] = person.national_id
        fields["birth_date"] = person.birth_date.isoformat()
        payload = make_intake("aleppo-2016-amnesty", submitted_at=WHEN, person=fields)
        case = intake_register(
            data=parse(IntakeIn, payload), clerk=personas["clerk"], now=WHEN
        ).case
        if case.state == "screened":  # decided and carded before he registers again
            case_services.decision_record(
                case=case, user=personas["decider"], outcome="amnesty", reason=""
            )
            card_issue(case=case, user=personas["card_officer"])
        twin = make_intake("aleppo-2016-amnesty", submitted_at=WHEN, person=fields)
        intake_register(data=parse(IntakeIn, twin), clerk=personas["clerk2"], now=WHEN)
        secrets += [
            person.national_id,
            person.birth_date.isoformat(),  # full dates only: four digits alone turn up in any hash
            f"{person.given[0]} {person.father[0]}",  # Arabic, as written on the card
            fields["given_name_lat"] + " " + fields["father_name_lat"],
            person.mother[0] + " " + person.mother_family[0],
        ]
    from sulh.matching.models import MatchCandidate

    assert MatchCandidate.objects.count() >= 12  # each person registered twice: evidence kept
    assert "left" in json.dumps(MatchCandidate.objects.first().evidence)
    dump = _every_value_in_the_database()
    assert len(dump) > 10_000
    found = [secret for secret in secrets if secret in dump]
    assert found == []


@pytest.mark.slow
def test_processes_starting_on_a_fresh_site_at_once_share_one_keyring(tmp_path):
    """Gunicorn's workers start together: they must not each make their own keys. A read
    makes none at all; six `sulh keyring init` at once make one keyring."""
    import subprocess
    import sys

    setup = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='sulh.settings'; django.setup();"
    )
    read = setup + "from sulh.keys.keyring import keyring; print(keyring().active)"
    init = (
        setup
        + "from sulh.keys.keyring import keyring_create, keyring; keyring_create(); print(keyring().active)"
    )
    env = {**__import__("os").environ, "SULH_DATA_DIR": str(tmp_path)}
    env.pop("SULH_MASTER_KEY", None)

    def at_once(code: str) -> list[subprocess.CompletedProcess]:
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", code],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        return [(p.communicate(timeout=60), p.returncode) for p in processes]

    readers = at_once(read)
    assert all(code != 0 and "sulh keyring init" in err for (_, err), code in readers)
    assert not (tmp_path / "keys" / "keyring.json").exists()
    active = {out.strip() for (out, _), code in at_once(init) if code == 0}
    assert len(active) == 1 and "" not in active
