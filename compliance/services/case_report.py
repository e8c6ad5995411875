"""The suspicious-activity-style report of a case, as a dict, JSON and CSV.

It holds what an investigator or a regulator needs without opening the console: the
case, the subject's identity (from their latest KYC submission, decrypted), wallets and
risk rating, the screening hits and monitoring alerts with what they saw, the ledger
entries those alerts point at with the subject's amounts, the notes, and the timeline
(the case's audit events). Exporting is audited by ``cases.case_report_export``.
"""

import csv
import io
import json

from django.utils import timezone

from audit.models import AuditEvent
from blockscore.api.export import safe_cell
from compliance.models import Case, CustomerRisk, KycSubmission
from wallets.models import LedgerAccount, Posting

REPORT_VERSION = 1


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _email(user) -> str | None:
    return user.email if user else None


def _entry_ids(alert) -> set[int]:
    ids = {alert.entry_id} if alert.entry_id else set()
    for finding in (alert.details or {}).get("findings", []):
        details = finding.get("details", {})
        for key in ("entry",):
            if isinstance(details.get(key), int):
                ids.add(details[key])
        for key in ("entries", "entries_in", "entries_out"):
            ids |= {i for i in details.get(key, []) if isinstance(i, int)}
    return ids


def build_report(*, case: Case, officer) -> dict:
    subject = case.subject
    submission = KycSubmission.objects.filter(user=subject).order_by("-submitted_at", "-id").first()
    kyc = None
    if submission is not None:
        kyc = {
            "status": submission.status,
            "legal_name": submission.legal_name,
            "date_of_birth": submission.date_of_birth,
            "nationality": submission.nationality,
            "address": ", ".join(
                part
                for part in (submission.address_line, submission.postal_code, submission.city, submission.country)
                if part
            ),
            "country_of_residence": submission.country,
            "document_type": submission.document_type,
            "document_number": submission.document_number,
            "decided_at": _when(submission.decided_at),
        }
    risk = CustomerRisk.objects.filter(user=subject).first()
    wallets = LedgerAccount.objects.filter(owner=subject, kind=LedgerAccount.Kind.CUSTOMER_WALLET).order_by("pk")
    hits = case.hits.select_related("decided_by").order_by("pk")
    alerts = list(case.monitoring_alerts.select_related("rule", "entry").order_by("pk"))
    entry_ids = set().union(*(_entry_ids(a) for a in alerts)) if alerts else set()
    postings = (
        Posting.objects.filter(entry_id__in=entry_ids, account__owner=subject)
        .select_related("entry", "account")
        .order_by("posted_at", "pk")
    )
    events = AuditEvent.objects.filter(target_type="compliance.case", target_id=str(case.public_id)).order_by("pk")
    return {
        "report": {
            "type": "suspicious_activity_report",
            "version": REPORT_VERSION,
            "generated_at": timezone.now().isoformat(),
            "generated_by": _email(officer),
        },
        "case": {
            "id": str(case.public_id),
            "kind": case.kind,
            "status": case.status,
            "summary": case.summary,
            "opened_at": _when(case.opened_at),
            "closed_at": _when(case.closed_at),
            "assigned_to": _email(case.assigned_to),
            "decided_by": _email(case.decided_by),
        },
        "subject": {
            "id": str(subject.public_id),
            "email": subject.email,
            "name": subject.get_full_name(),
            "joined_at": _when(subject.date_joined),
            "kyc": kyc,
            "wallets": [
                {"number": w.number, "currency": w.currency, "status": w.status, "balance": str(w.balance)}
                for w in wallets
            ],
            "risk": (
                {"level": risk.level, "score": risk.score, "factors": risk.factors, "edd": risk.enhanced_due_diligence}
                if risk
                else None
            ),
        },
        "screening_hits": [
            {
                "id": hit.pk,
                "list": hit.list_source,
                "list_id": hit.list_id,
                "matched_name": hit.matched_name,
                "score": str(hit.score),
                "explanation": hit.explanation,
                "status": hit.status,
                "raised_at": _when(hit.created_at),
                "decided_by": _email(hit.decided_by),
                "decided_at": _when(hit.decided_at),
            }
            for hit in hits
        ],
        "monitoring_alerts": [
            {
                "id": alert.pk,
                "rule": alert.rule.code,
                "rule_version": alert.rule.version,
                "entry": str(alert.entry.public_id) if alert.entry else None,
                "summary": (alert.details or {}).get("summary", ""),
                "findings": (alert.details or {}).get("findings", []),
                "raised_at": _when(alert.created_at),
            }
            for alert in alerts
        ],
        "transactions": [
            {
                "entry": str(p.entry.public_id),
                "kind": p.entry.kind,
                "posted_at": _when(p.posted_at),
                "wallet": p.account.number,
                "currency": p.currency,
                "amount": str(p.amount),
                "memo": p.entry.memo,
                "reverses": str(p.entry.reverses.public_id) if p.entry.reverses_id else None,
            }
            for p in postings
        ],
        "notes": [
            {"at": _when(n.created_at), "author": _email(n.author), "text": n.text}
            for n in case.notes.select_related("author").order_by("created_at", "pk")
        ],
        "timeline": [
            {
                "at": _when(e.occurred_at),
                "action": e.action,
                "actor": e.actor_repr or "system",
                "changes": e.changes,
                "details": e.metadata,
            }
            for e in events
        ],
    }


def report_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=False, default=str)


CSV_HEADER = ["section", "at", "reference", "item", "currency", "amount", "detail"]


def _rows(report: dict):
    case, subject = report["case"], report["subject"]
    yield [
        "report",
        report["report"]["generated_at"],
        case["id"],
        "generated_by",
        "",
        "",
        report["report"]["generated_by"],
    ]
    for key in ("kind", "status", "summary", "opened_at", "closed_at", "assigned_to", "decided_by"):
        yield ["case", "", case["id"], key, "", "", case[key]]
    for key in ("id", "email", "name", "joined_at"):
        yield ["subject", "", subject["id"], key, "", "", subject[key]]
    for key, value in (subject["kyc"] or {}).items():
        yield ["kyc", "", subject["id"], key, "", "", value]
    for wallet in subject["wallets"]:
        yield ["wallet", "", wallet["number"], wallet["status"], wallet["currency"], wallet["balance"], ""]
    if subject["risk"]:
        risk = subject["risk"]
        yield ["risk", "", subject["id"], risk["level"], "", "", f"score {risk['score']}"]
        for factor in risk["factors"]:
            yield ["risk_factor", "", subject["id"], factor["factor"], "", "", f"{factor['points']}: {factor['why']}"]
    for hit in report["screening_hits"]:
        yield [
            "screening_hit",
            hit["raised_at"],
            f"{hit['list']}:{hit['list_id']}",
            hit["matched_name"],
            "",
            "",
            f"score {hit['score']}; {hit['status']}; {json.dumps(hit['explanation'], default=str)}",
        ]
    for alert in report["monitoring_alerts"]:
        yield [
            "monitoring_alert",
            alert["raised_at"],
            alert["entry"],
            f"{alert['rule']} v{alert['rule_version']}",
            "",
            "",
            alert["summary"],
        ]
    for tx in report["transactions"]:
        yield [
            "transaction",
            tx["posted_at"],
            tx["entry"],
            f"{tx['kind']} {tx['wallet']}",
            tx["currency"],
            tx["amount"],
            tx["memo"],
        ]
    for note in report["notes"]:
        yield ["note", note["at"], note["author"], "", "", "", note["text"]]
    for event in report["timeline"]:
        detail = json.dumps({"changes": event["changes"], "details": event["details"]}, default=str)
        yield ["timeline", event["at"], event["actor"], event["action"], "", "", detail]


def report_csv(report: dict) -> str:
    """One row per fact; cells a spreadsheet would run as a formula are quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in _rows(report):
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
