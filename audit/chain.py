"""Hashing of the audit chain. Pure functions: the writer and the verifier share them.

(Later, the Ethereum client for anchoring the chain head lives here too; see ARCHITECTURE.md.)
"""

import hashlib
import json
import math
from datetime import datetime

# Python writes floats of this size with an exponent; PostgreSQL's jsonb gives them
# back as integers. Storing the integer keeps what is hashed equal to what is read.
_FLOAT_AS_INT_FROM = 1e16


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def normalise(value):
    """What a JSON column gives back: used before hashing so stored and hashed agree.

    Anything JSON cannot hold faithfully on every database is turned into what the
    database would return (or a string): non-JSON values become ``str``, NaN and
    infinities become strings, huge integral floats become integers, and NUL
    characters (refused by PostgreSQL) are dropped.
    """
    return _portable(json.loads(canonical_json(value if value is not None else {})))


def _portable(value):
    if isinstance(value, dict):
        return {_portable(key): _portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_portable(item) for item in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) >= _FLOAT_AS_INT_FROM:
            return int(value)
    return value


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
