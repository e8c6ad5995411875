"""Demo accounts for a local run: one staff user per role and a few customers.

Idempotent: a second run finds every account in place, changes nothing and prints the
same credentials. Passwords (and TOTP keys) are random on first creation and kept in
``var/demo_credentials.json`` (mode 0600, never committed), so nothing secret lives in
the repository. Every account is created through the same paths as in real use and
leaves audit events: customers register through ``accounts.services.user_register``;
staff accounts are recorded as ``user.created_by_staff`` and ``mfa.totp_enrolled`` with
no actor (the system made them).

Refuses to run with production settings: demo accounts with printed passwords have no
place in a real database.
"""

import json
import os
import secrets
from base64 import b32encode
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Preferences, Profile, User
from blockscore import auditing

DOMAIN = "demo.blockscore.example"  # .example is reserved: these addresses reach no one


@dataclass(frozen=True)
class StaffSpec:
    role: str
    email: str
    first_name: str
    last_name: str
    superuser: bool = False


@dataclass(frozen=True)
class CustomerSpec:
    email: str
    first_name: str
    last_name: str
    profile: dict = field(default_factory=dict)


STAFF = [
    StaffSpec("compliance officer", f"compliance@{DOMAIN}", "Grace", "Achieng"),
    StaffSpec("loan officer", f"loans@{DOMAIN}", "Tomas", "Novak"),
    StaffSpec("operations", f"operations@{DOMAIN}", "Priya", "Raman"),
    StaffSpec("auditor", f"auditor@{DOMAIN}", "Henrik", "Lund"),
    StaffSpec("administrator", f"admin@{DOMAIN}", "Ada", "Osei", superuser=True),
]
CUSTOMERS = [
    CustomerSpec(f"amara@{DOMAIN}", "Amara", "Mensah", {"city": "Accra", "country": "GH", "phone": "+233201234567"}),
    CustomerSpec(f"lucas@{DOMAIN}", "Lucas", "Silva", {"city": "Lisbon", "country": "PT", "phone": "+351912345678"}),
    CustomerSpec(f"sofia@{DOMAIN}", "Sofia", "Keller", {"city": "Berlin", "country": "DE", "phone": "+4915123456789"}),
]
AUDIT_METADATA = {"source": "load_demo_data"}


def _new_password() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, ~96 bits


class CredentialStore:
    """The demo accounts' secrets in a 0600 JSON file under var/."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, dict] = {}
        if path.exists():
            try:
                self.data = json.loads(path.read_text()).get("accounts", {})
            except (ValueError, AttributeError) as exc:
                raise CommandError(f"{path} is not valid JSON ({exc}); move it away to start over") from exc
        self._saved = json.dumps(self.data, sort_keys=True)

    def get(self, email: str) -> dict:
        return self.data.setdefault(email, {})

    def save(self) -> None:
        current = json.dumps(self.data, sort_keys=True)
        if current == self._saved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(
                {"note": "Demo credentials made by manage.py load_demo_data. Local use only.", "accounts": self.data},
                handle,
                indent=2,
                sort_keys=True,
            )
            handle.write("\n")
        os.replace(tmp, self.path)
        self._saved = current


class Command(BaseCommand):
    help = (
        "Create demo staff users (one per role, with TOTP) and customers, idempotently, "
        "and print their credentials (kept in var/demo_credentials.json)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give a new password to demo accounts whose password is not the stored one.",
        )

    def handle(self, *args, reset_passwords: bool = False, **options):
        if settings.ENVIRONMENT == "production":
            raise CommandError("load_demo_data refuses to run with production settings.")
        self.reset_passwords = reset_passwords
        self.created = 0
        store = CredentialStore(Path(settings.VAR_DIR) / "demo_credentials.json")
        staff_rows = []
        customer_rows = []
        try:
            for spec in STAFF:
                staff_rows.append(self._staff(spec, store.get(spec.email)))
            for spec in CUSTOMERS:
                customer_rows.append(self._customer(spec, store.get(spec.email)))
        finally:
            store.save()
        self._print(store.path, staff_rows, customer_rows)

    # --- accounts --------------------------------------------------------------------

    @transaction.atomic
    def _staff(self, spec: StaffSpec, creds: dict) -> dict:
        group = Group.objects.get(name=spec.role)
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            creds.setdefault("password", _new_password())
            user = User.objects.create_user(
                email=spec.email,
                password=creds["password"],
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=True,
                is_superuser=spec.superuser,
            )
            creds["password_hash"] = user.password
            Profile.objects.get_or_create(user=user)
            Preferences.objects.get_or_create(user=user)
            user.groups.add(group)
            auditing.record_audit(
                action="user.created_by_staff",
                actor=None,
                target=user,
                metadata=AUDIT_METADATA,
                changes={
                    "email": {"after": user.email},
                    "roles": {"after": [spec.role]},
                    "is_staff": {"after": True},
                    "is_superuser": {"after": spec.superuser},
                },
            )
            self.created += 1
        else:
            self._ensure_password(user, creds)
            if not user.groups.filter(pk=group.pk).exists() or not user.is_staff:
                before = sorted(user.groups.values_list("name", flat=True))
                user.groups.add(group)
                User.objects.filter(pk=user.pk).update(is_staff=True)
                auditing.record_audit(
                    action="user.roles_changed",
                    actor=None,
                    target=user,
                    metadata=AUDIT_METADATA,
                    changes={"roles": {"before": before, "after": sorted({*before, spec.role})}},
                )
        device = self._ensure_totp(user, creds)
        secret = b32encode(device.bin_key).decode("ascii")
        return {
            "role": spec.role + (" (superuser)" if user.is_superuser else ""),
            "email": user.email,
            "password": creds.get("password"),
            "totp_secret": secret,
            "otpauth_uri": device.config_url,
        }

    def _ensure_totp(self, user: User, creds: dict) -> TOTPDevice:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            # Reuse a stored key so an authenticator app set up earlier keeps working
            # after the database was reset.
            extra = {"key": creds["totp_key"]} if creds.get("totp_key") else {}
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True, **extra)
            auditing.record_audit(action="mfa.totp_enrolled", actor=None, target=user, metadata=AUDIT_METADATA)
        creds["totp_key"] = device.key
        return device

    def _ensure_password(self, user: User, creds: dict) -> None:
        # The stored hash says "unchanged" without the cost of a password check (about a
        # second each); a check is needed only when Django rehashed it since.
        if creds.get("password") and (
            creds.get("password_hash") == user.password or check_password(creds["password"], user.password)
        ):
            creds["password_hash"] = user.password
            return
        if not self.reset_passwords:
            creds.pop("password", None)  # unknown: say so instead of printing a wrong one
            return
        creds["password"] = _new_password()
        user.set_password(creds["password"])
        user.save(update_fields=["password"])
        creds["password_hash"] = user.password
        services.sessions_revoke_all(user=user, reason="demo_password_reset")
        auditing.record_audit(action="user.password_changed", actor=None, target=user, metadata=AUDIT_METADATA)

    def _customer(self, spec: CustomerSpec, creds: dict) -> dict:
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            with transaction.atomic():
                creds.setdefault("password", _new_password())
                user = services.user_register(
                    email=spec.email,
                    password=creds["password"],
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                )
                services.profile_update(user=user, data=dict(spec.profile))
            creds["password_hash"] = user.password
            self.created += 1
        else:
            with transaction.atomic():
                self._ensure_password(user, creds)
        return {"email": user.email, "password": creds.get("password")}

    # --- output ----------------------------------------------------------------------

    def _print(self, path: Path, staff_rows: list[dict], customer_rows: list[dict]) -> None:
        out = self.stdout.write
        unknown = "(not known: changed since it was made; run load_demo_data --reset-passwords)"
        total = len(staff_rows) + len(customer_rows)
        out(
            f"Demo data: {self.created} account(s) created, {total - self.created} already there. "
            f"Credentials are kept in {path}."
        )
        out("")
        out("Staff console (/admin/): sign in with the e-mail, the password and the 6-digit code an")
        out("authenticator app shows for the TOTP secret (or: scripts/totp EMAIL).")
        for row in staff_rows:
            out("")
            out(f"  {row['role']}")
            out(f"    e-mail       {row['email']}")
            out(f"    password     {row['password'] or unknown}")
            out(f"    TOTP secret  {row['totp_secret']}")
            out(f"    otpauth URI  {row['otpauth_uri']}")
        out("")
        out("Customers (API: POST /api/v1/auth/login):")
        for row in customer_rows:
            out(f"    {row['email']:<32} password {row['password'] or unknown}")
        out("")
