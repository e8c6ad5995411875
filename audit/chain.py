"""Hashing of the audit chain. Pure functions: the writer and the verifier share them.

(Later, the Ethereum client for anchoring the chain head lives here too; see ARCHITECTURE.md.)
"""

import hashlib
import json
from datetime import datetime


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def normalise(value):
    """What a JSON column gives back: used before hashing so stored and hashed agree."""
    return json.loads(canonical_json(value if value is not None else {}))


def event_content(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_repr: str,
    action: str,
    target_type: str,
    target_id: str,
    changes: dict,
    metadata: dict,
    ip: str | None,
    user_agent: str,
    request_id: str,
) -> dict:
    return {
        "sequence": sequence,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_repr": actor_repr,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "changes": changes,
        "metadata": metadata,
        "ip": ip,
        "user_agent": user_agent,
        "request_id": request_id,
    }


def chain_hash(prev_hash: str, content: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def content_of(event) -> dict:
    """The hashed content of a stored AuditEvent row."""
    return event_content(
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_repr=event.actor_repr,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        changes=event.changes,
        metadata=event.metadata,
        ip=event.ip,
        user_agent=event.user_agent,
        request_id=event.request_id,
    )
