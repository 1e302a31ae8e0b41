"""The signing keys the site holds: the root (its public half only, once kept offline),
station card keys and the publication key that signs status lists and tree heads.
Private halves live in a PKCS#11 token (the row names the key), or on a development site
sealed at rest under the keyring."""

from __future__ import annotations

from django.db import models

from sulh.keys.fields import EncryptedTextField, RowSealedModel


class SigningKey(RowSealedModel):
    """The root key (signs trust and status lists) or a station's short-lived card key."""

    kind = models.CharField(
        max_length=12,
        choices=[("root", "root"), ("station", "station"), ("publication", "publication")],
    )
    station = models.ForeignKey("accounts.Station", null=True, blank=True, on_delete=models.PROTECT)
    kid = models.CharField(max_length=16, unique=True)  # hex
    public_point = models.CharField(max_length=200)  # base64url, uncompressed P-256 point
    # Empty for a root kept offline; sealed under the context it had in the cards package.
    private_pem = EncryptedTextField(blank=True, context="cards.SigningKey.private_pem")
    # The key's label in the PKCS#11 token that holds its private half (sulh.keys.token);
    # empty for a key sealed here or a root kept offline.
    token_label = models.CharField(max_length=64, blank=True, default="")
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()

    class Meta:
        db_table = "cards_signingkey"  # where the keys were kept before this package
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(kind="root"), name="one_root_key"
            )
        ]


class MonitorKey(models.Model):
    """An accredited independent monitor's public keys, enrolled by the root ceremony
    (``sulh card certify --enrol-monitor FILE``) and listed in the root-signed trust list:
    X25519 for the openings encrypted to it, Ed25519 for its attestations."""

    name = models.CharField(max_length=80, unique=True)
    encryption_key = models.CharField(max_length=64)  # base64url, raw X25519
    signing_key = models.CharField(max_length=64)  # base64url, raw Ed25519
    enrolled_at = models.DateTimeField()

    def public_document(self) -> dict[str, str]:
        return {
            "format": "sulh-monitor-key/1",
            "name": self.name,
            "encryption_key": self.encryption_key,
            "signing_key": self.signing_key,
        }


class WitnessKey(models.Model):
    """A destruction witness's public key (Ed25519), enrolled as a monitor's is: every
    witness signature on a destruction batch is checked with it."""

    name = models.CharField(max_length=80, unique=True)
    signing_key = models.CharField(max_length=64)  # base64url, raw Ed25519
    enrolled_at = models.DateTimeField()
