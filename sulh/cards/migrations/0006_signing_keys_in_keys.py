# Cards point at the signing keys now owned by the keys package (same table, no change in
# the database).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cards', '0005_offline_root'),
        ('keys', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='card',
                    name='key',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='keys.signingkey'),
                ),
                migrations.DeleteModel(name='SigningKey'),
            ],
            database_operations=[],
        ),
    ]
