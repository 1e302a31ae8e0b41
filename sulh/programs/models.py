"""Each loaded version of a program definition, as it was when cases were decided under it."""

from __future__ import annotations

from django.db import models


class Program(models.Model):
    code = models.SlugField(max_length=80, unique=True)
    version = models.CharField(max_length=40)
    content_sha256 = models.CharField(max_length=64)
    definition = models.JSONField()
    loaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.code


class ProgramVersion(models.Model):
    """Every version ever loaded: published rules stay on record (REQUIREMENTS 1)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=40)
    content_sha256 = models.CharField(max_length=64)
    definition = models.JSONField()
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "content_sha256"], name="program_version_unique"
            )
        ]
