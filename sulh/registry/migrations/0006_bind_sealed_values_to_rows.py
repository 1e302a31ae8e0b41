"""Bind every sealed value to its row: a random seal id per row, in the associated data."""

from django.db import migrations

from sulh.keys.fields import row_seal_operations


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_seal_what_says_who")]

    operations = [
        *row_seal_operations(
            "familymember",
            "registry_familymember",
            {
                "relation": "registry.FamilyMember.relation",
                "name_ar": "registry.FamilyMember.name_ar",
                "name_lat": "registry.FamilyMember.name_lat",
                "birth_year": "registry.FamilyMember.birth_year",
            },
        ),
        *row_seal_operations(
            "intake",
            "registry_intake",
            {
                "category": "registry.Intake.category",
                "affiliation": "registry.Intake.affiliation",
                "origin": "registry.Intake.origin",
                "requested_destination": "registry.Intake.requested_destination",
            },
        ),
        *row_seal_operations(
            "person",
            "registry_person",
            {
                "given_name_ar": "registry.Person.given_name_ar",
                "father_name_ar": "registry.Person.father_name_ar",
                "grandfather_name_ar": "registry.Person.grandfather_name_ar",
                "family_name_ar": "registry.Person.family_name_ar",
                "mother_name_ar": "registry.Person.mother_name_ar",
                "given_name_lat": "registry.Person.given_name_lat",
                "father_name_lat": "registry.Person.father_name_lat",
                "grandfather_name_lat": "registry.Person.grandfather_name_lat",
                "family_name_lat": "registry.Person.family_name_lat",
                "mother_name_lat": "registry.Person.mother_name_lat",
                "birth_date": "registry.Person.birth_date",
                "birth_place": "registry.Person.birth_place",
                "national_id": "registry.Person.national_id",
            },
        ),
        *row_seal_operations(
            "surrendereditem",
            "registry_surrendereditem",
            {
                "weapon_type": "registry.SurrenderedItem.weapon_type",
                "calibre": "registry.SurrenderedItem.calibre",
                "serial_number": "registry.SurrenderedItem.serial_number",
                "document_type": "registry.SurrenderedItem.document_type",
                "document_number": "registry.SurrenderedItem.document_number",
                "description": "registry.SurrenderedItem.description",
            },
        ),
    ]
