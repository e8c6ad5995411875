"""Rewrite every encrypted KYC field and document file with the newest key."""

from django.core.management.base import BaseCommand

from compliance.services.kyc import kyc_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt KYC ID numbers, dates of birth and document files with the first key of "
        "KYC_ENCRYPTION_KEYS. Rotate a key: put the new key first, run this, then remove the old key."
    )

    def handle(self, *args, **options):
        counts = kyc_reencrypt()
        self.stdout.write(f"re-encrypted {counts['submissions']} submission(s) and {counts['files']} file(s)")
