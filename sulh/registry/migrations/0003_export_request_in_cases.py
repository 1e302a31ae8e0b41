# Export requests are now the cases package's (same table, no change in the database).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0002_export_request'),
        ('cases', '0004_export_request'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ExportRequest')],
            database_operations=[],
        ),
    ]
