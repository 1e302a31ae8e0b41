# The signing keys move from the cards package to the keys package: the table stays where it
# is (cards_signingkey), only Django's idea of which application owns it changes.

import django.db.models.deletion
from django.db import migrations, models

import sulh.keys.fields


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0002_login_state'),
        ('cards', '0005_offline_root'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SigningKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('root', 'root'), ('station', 'station'), ('publication', 'publication')], max_length=12)),
                        ('kid', models.CharField(max_length=16, unique=True)),
                        ('public_point', models.CharField(max_length=200)),
                        ('private_pem', sulh.keys.fields.EncryptedTextField(blank=True, context='cards.SigningKey.private_pem')),
                        ('not_before', models.DateTimeField()),
                        ('not_after', models.DateTimeField()),
                        ('station', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='accounts.station')),
                    ],
                    options={
                        'db_table': 'cards_signingkey',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('kind', 'root')), fields=('kind',), name='one_root_key')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
