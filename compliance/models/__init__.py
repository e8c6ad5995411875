"""Compliance: KYC, watchlists and screening, transaction monitoring, cases, risk rating."""

from compliance.models.cases import Case, CaseNote
from compliance.models.kyc import KycDocument, KycSubmission
from compliance.models.monitoring import MonitoringAlert, MonitoringRule
from compliance.models.risk import CustomerRisk
from compliance.models.screening import ScreeningHit, ScreeningResult
from compliance.models.watchlists import WatchlistEntry, WatchlistVersion

__all__ = [
    "Case",
    "CaseNote",
    "CustomerRisk",
    "KycDocument",
    "KycSubmission",
    "MonitoringAlert",
    "MonitoringRule",
    "ScreeningHit",
    "ScreeningResult",
    "WatchlistEntry",
    "WatchlistVersion",
]
