# Export requests move from the registry package to cases, which writes them: the table
# stays where it is (registry_exportrequest), only Django's idea of its owner changes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import sulh.keys.fields


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_child_handover'),
        ('programs', '0001_initial'),
        ('registry', '0002_export_request'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ExportRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('purpose', sulh.keys.fields.EncryptedTextField(context='registry.ExportRequest.purpose')),
                        ('requested_at', models.DateTimeField(auto_now_add=True)),
                        ('approved_at', models.DateTimeField(blank=True, null=True)),
                        ('written_at', models.DateTimeField(blank=True, null=True)),
                        ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='programs.program')),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={'db_table': 'registry_exportrequest'},
                ),
            ],
            database_operations=[],
        ),
    ]
