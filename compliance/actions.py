"""Audit action names of the compliance app (registered in ComplianceConfig.ready)."""

ACTIONS = {
    # KYC
    "kyc.submitted": "A customer submitted KYC details and documents.",
    "kyc.resubmitted": "A customer sent the documents an officer asked for again.",
    "kyc.assigned": "A compliance officer took a KYC submission for review.",
    "kyc.approved": "A compliance officer approved a KYC submission.",
    "kyc.rejected": "A compliance officer rejected a KYC submission.",
    "kyc.resubmission_requested": "A compliance officer asked for documents again.",
    "kyc.document_viewed": "A compliance officer opened a KYC document.",
    "kyc.reencrypted": "KYC fields and files were re-encrypted with the newest key.",
    # watchlists and screening
    "watchlist.imported": "A new version of a sanctions list was imported.",
    "screening.hits_raised": "Screening raised new hits on a customer (a case was opened or joined).",
    "screening.hit_dismissed": "A compliance officer dismissed a screening hit (not the same person).",
    "screening.hit_confirmed": "A compliance officer confirmed a screening hit.",
    "screening.rescan": "Every customer was screened again (after a list import, or weekly).",
    # cases
    "case.opened": "A compliance case was opened (screening hit or monitoring alert).",
    "case.assigned": "A compliance case was assigned.",
    "case.note_added": "A note was added to a compliance case.",
    "case.status_changed": "A compliance case moved on (investigating, closed, escalated).",
    "case.report_exported": "A suspicious activity report was exported from an escalated case.",
    # transaction monitoring and risk rating
    "monitoring.alerts_raised": "Monitoring rules raised alerts on a customer's ledger entry (a case opened or joined)",
    "monitoring.rule_changed": "A compliance officer changed a monitoring rule's parameters (a new version).",
    "risk.level_changed": "A customer's risk rating changed level (low, medium, high).",
}
