"""The periodic tasks, kept in code. ``manage.py setup_periodic_tasks`` writes them into
django-celery-beat's tables (idempotently); staff can still pause one in the console."""

PERIODIC_TASKS = {
    # name: (task, crontab fields)
    "housekeeping": {
        "task": "blockscore.housekeeping",
        "crontab": {"minute": "*/15", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "description": "Expire magic links and MFA challenges, purge expired tokens.",
    },
    "audit_chain_pending": {
        "task": "audit.chain_pending",
        "crontab": {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "description": "Chain audit events whose writer stopped before chaining them after its commit.",
    },
    "nightly_rescore": {
        "task": "credit.nightly_rescore",
        "crontab": {"minute": "30", "hour": "2", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "description": "Rescore every customer with survey answers; history only where inputs or model changed.",
    },
    "lightning_reconcile": {
        "task": "wallets.lightning_reconcile",
        "crontab": {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "description": "Ask LNbits about pending Lightning deposits and payouts: credit, expire, settle or release.",
    },
    "weekly_rescan": {
        "task": "compliance.rescan",
        "crontab": {"minute": "0", "hour": "3", "day_of_week": "0", "day_of_month": "*", "month_of_year": "*"},
        "description": "Screen every active customer against the latest sanctions lists (also run after each import).",
    },
    "monitor_daily": {
        "task": "compliance.monitor_daily",
        "crontab": {"minute": "15", "hour": "1", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "description": "Transaction monitoring over yesterday's ledger entries (catches runs lost after commit).",
    },
    "loan_servicing": {
        "task": "loans.servicing",
        "crontab": {"minute": "5", "hour": "0", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "description": "Loans: accrue interest, mark installments due and overdue, late fees, default, reminders.",
    },
    "loan_collection": {
        "task": "loans.collect_due",
        "crontab": {"minute": "0", "hour": "6", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
        "description": "Loans: collect what is due from borrowers' wallets, as much as each holds.",
    },
}
