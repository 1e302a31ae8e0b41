"""Witnessed destruction: a batch signed by enrolled witnesses, each item destroyed, and a
salted commitment to the serials in the log that a monitor checks for one serial without
the list being published."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sulh.cli import main
from sulh.core.errors import SulhError
from sulh.custody import destruction, services
from sulh.custody.models import BatchState, CustodyEvent, DestructionBatch, Item, ItemState
from sulh.keys.witnesses import witness_generate, witness_public, witness_sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def witnesses(tmp_path: Path) -> dict[str, Path]:
    """Two witnesses who made their keys on their own devices; the site enrolled them."""
    folders = {}
    for name in ("Witness Hala", "Witness Karim"):
        folder = tmp_path / name.split()[1].lower()
        assert main(["custody", "witness-keygen", "--name", name, "--out", str(folder)]) == 0
        assert main(["custody", "witness-enrol", "--public", str(folder / "witness.pub.json")]) == 0
        folders[name] = folder
    return folders


def witness_signs(batch, name: str, folder: Path, officer, tmp_path: Path, capsys) -> None:
    document = tmp_path / f"batch-{batch.pk}.json"
    assert (
        main(["custody", "destruction-document", "--batch", str(batch.pk), "--out", str(document)])
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "custody",
                "witness-sign",
                "--key",
                str(folder / "witness.key"),
                "--document",
                str(document),
            ]
        )
        == 0
    )
    signature = capsys.readouterr().out.strip()
    destruction.destruction_witness(batch=batch, witness=name, signature=signature, user=officer)


def witnessed_batch(rifle, officers, stores, witnesses, tmp_path, capsys, *, serials):
    items = [rifle(serial=serial) for serial in serials]
    batch = destruction.destruction_prepare(
        store=stores["main"], items=items, method="cutting", place="Aleppo depot yard",
        user=officers["officer"],
    )  # fmt: skip
    for name, folder in witnesses.items():
        witness_signs(batch, name, folder, officers["officer"], tmp_path, capsys)
    return batch, items


def export(tmp_path: Path) -> Path:
    assert main(["ledger", "publish", "--force"]) == 0
    folder = tmp_path / "public"
    assert main(["ledger", "export", "--out", str(folder)]) == 0
    return folder


def check(proof: Path, serial: str, public: Path) -> int:
    return main(
        [
            "custody", "check-destroyed", "--proof", str(proof), "--serial", serial,
            "--leaves", str(public / "leaves.jsonl"), "--tree-head", str(public / "tree-head.json"),
            "--key", str(public / "ledger-key.pem"),
        ]
    )  # fmt: skip


def test_a_witnessed_batch_destroys_its_items_and_a_monitor_checks_one_serial(
    rifle, officers, stores, witnesses, tmp_path, capsys
):
    assert main(["card", "root-init", "--online"]) == 0
    batch, items = witnessed_batch(
        rifle, officers, stores, witnesses, tmp_path, capsys, serials=["KA-١٢٣٤٥", "KB77", "KC88"]
    )
    destruction.destruction_complete(batch=batch, user=officers["officer"])
    batch.refresh_from_db()
    assert batch.state == BatchState.DESTROYED and batch.leaf_index is not None
    for item in items:
        assert Item.objects.get(pk=item.pk).state == ItemState.DESTROYED
        assert CustodyEvent.objects.filter(item=item, kind="destroyed").count() == 1
    public = export(tmp_path)
    proof = tmp_path / "proof.json"
    # the serial as read, Arabic-Indic digits and all: it is normalised as at intake
    assert (
        main(
            [
                "custody",
                "prove-destroyed",
                "--batch",
                str(batch.pk),
                "--serial",
                "KA12345",
                "--out",
                str(proof),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert check(proof, "KA-١٢٣٤٥", public) == 0
    assert "OK: this serial is in a destruction batch" in capsys.readouterr().out
    # nothing public names a serial: the leaves are commitments; the proof holds salt and path
    leaves = (public / "leaves.jsonl").read_text()
    for serial in ("KA12345", "KB77", "KC88"):
        assert serial not in leaves
    assert "KB77" not in proof.read_text() and "KA12345" not in proof.read_text()


def test_a_wrong_serial_or_a_wrong_salt_fails(rifle, officers, stores, witnesses, tmp_path, capsys):
    assert main(["card", "root-init", "--online"]) == 0
    batch, _items = witnessed_batch(
        rifle, officers, stores, witnesses, tmp_path, capsys, serials=["KD100", "KE200"]
    )
    destruction.destruction_complete(batch=batch, user=officers["officer"])
    public = export(tmp_path)
    proof = tmp_path / "proof.json"
    assert (
        main(
            [
                "custody",
                "prove-destroyed",
                "--batch",
                str(batch.pk),
                "--serial",
                "KD100",
                "--out",
                str(proof),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert check(proof, "KD101", public) == 1
    assert "DIFFERENCE: serial" in capsys.readouterr().out
    assert check(proof, "KE200", public) == 1  # another serial of the batch, with this salt
    document = json.loads(proof.read_text())
    document["salt"] = ("00" if document["salt"][:2] != "00" else "11") + document["salt"][2:]
    wrong_salt = tmp_path / "wrong-salt.json"
    wrong_salt.write_text(json.dumps(document))
    capsys.readouterr()
    assert check(wrong_salt, "KD100", public) == 1
    assert "DIFFERENCE: serial" in capsys.readouterr().out
    document = json.loads(proof.read_text())
    document["batch"]["record"]["items"] = 3  # a batch record the log does not hold
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    capsys.readouterr()
    assert check(forged, "KD100", public) == 1
    assert "does not commit to this batch record" in capsys.readouterr().out


def test_a_serial_not_in_the_batch_gets_no_proof(
    rifle, officers, stores, witnesses, tmp_path, capsys
):
    batch, _items = witnessed_batch(
        rifle, officers, stores, witnesses, tmp_path, capsys, serials=["KF1"]
    )
    destruction.destruction_complete(batch=batch, user=officers["officer"])
    with pytest.raises(SulhError) as refused:
        destruction.destruction_proof(batch_id=batch.pk, serial="KF2")
    assert refused.value.field == "serial"


def test_only_items_in_the_store_are_destroyed_and_nothing_changes_otherwise(
    rifle, officers, stores, personas, witnesses, tmp_path, capsys
):
    here, issued = rifle(), rifle()
    services.item_issue(
        item=issued, user=officers["officer"], purpose="court", authoriser=personas["manager"]
    )
    with pytest.raises(SulhError) as refused:
        destruction.destruction_prepare(
            store=stores["main"], items=[here, issued], method="cutting", place="yard",
            user=officers["officer"],
        )  # fmt: skip
    assert refused.value.field == "items[1]" and "not in store alp-main" in refused.value.message
    assert not DestructionBatch.objects.exists()
    elsewhere = rifle("north")
    with pytest.raises(SulhError) as refused:
        destruction.destruction_prepare(
            store=stores["main"], items=[elsewhere], method="cutting", place="yard",
            user=officers["officer"],
        )  # fmt: skip
    assert refused.value.field == "items[0]"
    # an item that left the store after the batch was prepared: completion is refused
    batch, items = witnessed_batch(
        rifle, officers, stores, witnesses, tmp_path, capsys, serials=["KG1", "KG2"]
    )
    services.item_issue(
        item=items[1], user=officers["officer"], purpose="court", authoriser=personas["manager"]
    )
    entries = CustodyEvent.objects.count()
    with pytest.raises(SulhError) as refused:
        destruction.destruction_complete(batch=batch, user=officers["officer"])
    assert refused.value.field == "items[1]"
    assert CustodyEvent.objects.count() == entries
    assert Item.objects.get(pk=items[0].pk).state == ItemState.IN_STORE
    batch.refresh_from_db()
    assert batch.state == BatchState.PREPARED and batch.leaf_index is None


def test_witness_signatures_are_checked_with_the_enrolled_keys(
    rifle, officers, stores, witnesses, tmp_path, capsys
):
    batch = destruction.destruction_prepare(
        store=stores["main"], items=[rifle()], method="crushing", place="yard",
        user=officers["officer"],
    )  # fmt: skip
    stranger = witness_generate()
    forged = witness_sign(stranger, batch.document)
    with pytest.raises(SulhError) as refused:
        destruction.destruction_witness(
            batch=batch, witness="Witness Hala", signature=forged, user=officers["officer"]
        )
    assert refused.value.field == "signature"
    with pytest.raises(SulhError) as refused:
        destruction.destruction_witness(
            batch=batch, witness="Nobody Enrolled", signature=forged, user=officers["officer"]
        )
    assert refused.value.field == "witness"
    witness_signs(
        batch, "Witness Hala", witnesses["Witness Hala"], officers["officer"], tmp_path, capsys
    )
    with pytest.raises(SulhError) as refused:
        destruction.destruction_complete(batch=batch, user=officers["officer"])
    assert refused.value.field == "witnesses"
    # a signature over another document does not verify over this one
    other = {**batch.document, "place": "somewhere else"}
    with pytest.raises(SulhError):
        destruction.witness_key_enrol(public=witness_public(stranger, "Witness Hala"))
    assert witness_sign(stranger, other) != forged


def test_bad_method_and_place_are_refused_naming_the_field(rifle, officers, stores):
    item = rifle()
    for fields, field in (
        ({"method": "dumping", "place": "yard"}, "method"),
        ({"method": "cutting", "place": " "}, "place"),
    ):
        with pytest.raises(SulhError) as refused:
            destruction.destruction_prepare(
                store=stores["main"], items=[item], user=officers["officer"], **fields
            )
        assert refused.value.field == field
    assert not DestructionBatch.objects.exists()
