"""Learning from this migration: its confirmed map becomes templates for the next proposal, once."""

from __future__ import annotations

import hashlib

from executor.session import Session


def learn_confirmed_map(session: Session) -> int:
    """Feed the confirmed map to the proposer's template store once per map version; how many maps were added."""
    from mapper.propose import learn

    key = hashlib.sha256(session.spec.to_yaml().encode("utf-8")).hexdigest()[:16]
    if session.ledger.scalar("SELECT count(*) FROM confirmations WHERE what = 'templates' AND key = ?", (key,)):
        return 0
    added = learn(session.spec, session.ws.settings.destination.kind)
    session.ledger.confirm("templates", key, f"{added} confirmed field maps learned")
    return added
