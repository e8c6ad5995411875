"""Seed the transaction monitoring rules, version 1 of each, with their default parameters.

The parameters are written out here (not imported from compliance.monitoring.rules) so
that this migration keeps doing what it did when the defaults in code change later.
Officers edit them in the console; each edit makes a new version.
"""

from django.db import migrations

DESCRIPTIONS = {
    "large_transaction": "One movement at or above the currency's threshold (about 10,000 USD).",
    "structuring": "3 or more movements within 24h, each within 10% below the large-transaction threshold.",
    "velocity": "24h count or amount over 5x the daily average of 30 days (at least 10 or 5,000 USD).",
    "rapid_movement": "90% or more of the money that came in went out again within 60 minutes (at least 1,000 USD).",
    "high_risk_country": "The counterparty is tied to a FATF call-for-action country (KP, IR, MM).",
}

DEFAULTS = {
    "large_transaction": {
        "thresholds": {
            "USD": "10000",
            "EUR": "10000",
            "GBP": "8000",
            "NGN": "15000000",
            "KES": "1300000",
            "GHS": "120000",
            "ZAR": "180000",
            "INR": "850000",
            "JPY": "1500000",
            "KWD": "3000",
            "BHD": "3750",
            "BTC": "0.25",
        }
    },
    "structuring": {
        "thresholds": {
            "USD": "10000",
            "EUR": "10000",
            "GBP": "8000",
            "NGN": "15000000",
            "KES": "1300000",
            "GHS": "120000",
            "ZAR": "180000",
            "INR": "850000",
            "JPY": "1500000",
            "KWD": "3000",
            "BHD": "3750",
            "BTC": "0.25",
        },
        "band_percent": 10,
        "min_count": 3,
        "window_hours": 24,
    },
    "velocity": {
        "window_hours": 24,
        "baseline_days": 30,
        "multiplier": 5,
        "min_count": 10,
        "min_amount": {
            "USD": "5000",
            "EUR": "5000",
            "GBP": "4000",
            "NGN": "7500000",
            "KES": "650000",
            "GHS": "60000",
            "ZAR": "90000",
            "INR": "425000",
            "JPY": "750000",
            "KWD": "1500",
            "BHD": "1875",
            "BTC": "0.125",
        },
    },
    "rapid_movement": {
        "window_minutes": 60,
        "ratio_percent": 90,
        "min_amount": {
            "USD": "1000",
            "EUR": "1000",
            "GBP": "800",
            "NGN": "1500000",
            "KES": "130000",
            "GHS": "12000",
            "ZAR": "18000",
            "INR": "85000",
            "JPY": "150000",
            "KWD": "300",
            "BHD": "375",
            "BTC": "0.025",
        },
    },
    "high_risk_country": {"countries": ["KP", "IR", "MM"]},
}


def seed(apps, schema_editor):
    MonitoringRule = apps.get_model("compliance", "MonitoringRule")
    for code, parameters in DEFAULTS.items():
        if not MonitoringRule.objects.filter(code=code).exists():
            MonitoringRule.objects.create(
                code=code, version=1, active=True, parameters=parameters, description=DESCRIPTIONS[code]
            )


def unseed(apps, schema_editor):
    MonitoringRule = apps.get_model("compliance", "MonitoringRule")
    MonitoringRule.objects.filter(version=1, created_by__isnull=True, alerts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_compliance_permissions")]
    operations = [migrations.RunPython(seed, unseed)]
