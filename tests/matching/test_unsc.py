"""The UN Security Council consolidated list (XML): individuals with their aliases and
original-script names become list entries; anything else gets a clear error.

The fixture follows the Council's published schema; the people in it are generated."""

from __future__ import annotations

import pytest

from sulh.cases.lists import list_import
from sulh.core.errors import ValidationFailed
from sulh.matching.batch import InputError
from sulh.matching.unsc import read_unsc_xml
from tests.matching.test_online import ARABIC, _register

LIST = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-11-01T00:00:00">
 <INDIVIDUALS>
  <INDIVIDUAL>
   <DATAID>900001</DATAID><FIRST_NAME>SAMER</FIRST_NAME><SECOND_NAME>WAEL</SECOND_NAME>
   <THIRD_NAME>AL-DARWISH</THIRD_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
   <REFERENCE_NUMBER>QDi.900</REFERENCE_NUMBER>
   <NAME_ORIGINAL_SCRIPT>سامر وائل الدرويش</NAME_ORIGINAL_SCRIPT>
   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abu Wael al-Halabi</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME></ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1988-04-12</DATE></INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_PLACE_OF_BIRTH><CITY>Aleppo</CITY><COUNTRY>Syrian Arab Republic</COUNTRY></INDIVIDUAL_PLACE_OF_BIRTH>
   <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>National Identification Number</TYPE_OF_DOCUMENT><NUMBER>40112233445</NUMBER></INDIVIDUAL_DOCUMENT>
  </INDIVIDUAL>
  <INDIVIDUAL>
   <DATAID>900002</DATAID><FIRST_NAME>KARIM</FIRST_NAME><SECOND_NAME>NABIL</SECOND_NAME>
   <REFERENCE_NUMBER>QDi.901</REFERENCE_NUMBER>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1975</YEAR></INDIVIDUAL_DATE_OF_BIRTH>
  </INDIVIDUAL>
 </INDIVIDUALS>
 <ENTITIES><ENTITY><DATAID>900100</DATAID><FIRST_NAME>SOME FRONT</FIRST_NAME></ENTITY></ENTITIES>
</CONSOLIDATED_LIST>
"""


def test_individuals_with_aliases_and_original_script_are_read(tmp_path):
    path = tmp_path / "consolidated.xml"
    path.write_text(LIST, encoding="utf-8")
    records, rejections = read_unsc_xml(path)
    assert rejections == []
    assert [r.record_id for r in records] == ["QDi.900", "QDi.901"]  # no entity
    first = records[0]
    assert first.full_name == "SAMER WAEL AL-DARWISH"
    assert first.aliases == ("سامر وائل الدرويش", "Abu Wael al-Halabi")
    assert (first.birth_date, first.birth_place, first.national_id) == (
        "1988-04-12", "Aleppo", "40112233445",
    )  # fmt: skip
    assert records[1].birth_date == "1975"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<sdnList><sdnEntry/></sdnList>", "not the UN Security Council"),
        ("<CONSOLIDATED_LIST><INDIVIDUALS>", "not well-formed"),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST/>', "DOCTYPE"),
    ],
    ids=["another schema", "truncated", "entities"],
)
def test_other_files_get_a_clear_error(tmp_path, text, message):
    path = tmp_path / "list.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_unsc_xml(path)


@pytest.mark.django_db
def test_importing_the_un_list_screens_an_arabic_registration(personas, programs, tmp_path):
    case = _register(personas, "clerk", ARABIC)
    path = tmp_path / "consolidated.xml"
    path.write_text(LIST, encoding="utf-8")
    imported = list_import(path=path, name="unsc", user=personas["vetter"])
    assert imported.entry_count == 2
    case.refresh_from_db()
    [hit] = [c for c in case.candidates.all() if c.kind == "list"]
    assert hit.list_entry.entry_id == "QDi.900"
    bad = tmp_path / "other.xml"
    bad.write_text("<sdnList/>", encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        list_import(path=bad, name="unsc", user=None)
    assert error.value.field == "file"


def test_batch_screen_reads_the_un_list_and_names_the_file_it_refuses(tmp_path, capsys):
    from sulh.cli import main

    listed = tmp_path / "consolidated.xml"
    listed.write_text(LIST, encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text(
        "record_id,given_name,father_name,family_name,mother_name,full_name,birth_date,"
        "birth_place,national_id\nP1,سامر,وائل,الدرويش,,,1988-04-12,,\nP2,Hadi,,Nasser,,,1990,,\n",
        encoding="utf-8",
    )
    hits = tmp_path / "hits.csv"
    args = ["match", "screen", "--input", str(people), "--output", str(hits)]
    assert main([*args, "--list", str(listed)]) == 0
    rows = hits.read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[:2] for r in rows[1:]] == [["P1", "QDi.900"]]

    other = tmp_path / "sdn.xml"
    other.write_text("<sdnList><sdnEntry/></sdnList>", encoding="utf-8")
    assert main([*args, "--list", str(other)]) == 2
    assert f"--list {other}: not the UN Security Council" in capsys.readouterr().err
