"""Registering `run`'s webhook with Zendesk: one webhook to /hooks/zendesk, found by its
endpoint, kept as ticketflow needs it, and its signing secret compared with ours.

Zendesk's Webhooks API (developer.zendesk.com, "Webhooks"): `GET /api/v2/webhooks` (cursor
pages, `page[size]` up to 100), `POST /api/v2/webhooks`, `PUT /api/v2/webhooks/{id}` (the
webhook's settings, replaced; answers 204) and `GET /api/v2/webhooks/{id}/signing_secret`
(`{"signing_secret": {"secret", "algorithm"}}`); only admins may call them, so a 403 prints
the administrator's steps instead. Zendesk makes the signing secret; ticketflow never prints
it (install-scheme's output lands in terminals and CI logs), only whether
TICKETFLOW_WEBHOOK_SECRET is it and where an admin reads it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

from connector.errors import ForbiddenError
from connector.tracker.base import WebhookCall
from connector.tracker.zendesk.client import ZendeskClient
from connector.tracker.zendesk.shapes import a_list, reading

log = logging.getLogger(__name__)

PATH = "/api/v2/webhooks"
# What a delivery to `run` depends on; a name or description an admin gave it is kept.
SETTINGS = ("status", "http_method", "request_format")


def register_webhook(client: ZendeskClient, hook: WebhookCall, *, dry_run: bool,
                     echo: Callable[[str], None]) -> bool:
    """Create the webhook to `hook.url`, or keep or correct the one there, then say whether
    TICKETFLOW_WEBHOOK_SECRET is its signing secret. Whether the webhook is in place (as
    ticketflow needs it) now; `dry_run` writes nothing and says what it would do."""
    try:
        return _register(client, hook, dry_run=dry_run, echo=echo)
    except ForbiddenError as error:
        echo(f"! webhook: Zendesk lets only admins manage webhooks ({error}); an "
             "administrator creates this one by hand:")
        for step in hook.by_hand:
            echo(f"    {step}")
        return False


def _register(client: ZendeskClient, hook: WebhookCall, *, dry_run: bool,
              echo: Callable[[str], None]) -> bool:
    wanted: Mapping[str, Any] = hook.body["webhook"]
    found = ours(client, hook.url)
    if found is None:
        if dry_run:
            echo(f"+ register webhook to {hook.url} ({_events(wanted)})")
            return False
        ident = webhook_id(client.make(PATH, "webhook", dict(wanted)))
        log.info("registered webhook to %s", hook.url, extra={"id": ident})
        echo(f"done: register webhook to {hook.url} (id {ident}; {_events(wanted)})")
        _check_secret(client, ident, hook.secret, echo)
        return True
    ident = webhook_id(found)
    wrong = differences(found, wanted)
    if not wrong:
        echo(f"= webhook to {hook.url} exists (id {ident}; active; {_events(wanted)})")
    elif dry_run:
        echo(f"~ update webhook {ident} to {hook.url}: {'; '.join(wrong)}")
    else:
        client.replace(f"{PATH}/{ident}", "webhook", _kept(found, wanted))
        log.info("updated webhook to %s", hook.url, extra={"id": ident})
        echo(f"done: update webhook {ident} to {hook.url}: {'; '.join(wrong)}")
    _check_secret(client, ident, hook.secret, echo)
    return not (wrong and dry_run)


def ours(client: ZendeskClient, url: str) -> Mapping[str, Any] | None:
    """The first webhook (of every page) whose endpoint is `url`, or None."""
    return next((w for w in client.listing(PATH, "webhooks") if w.get("endpoint") == url),
                None)


def webhook_id(webhook: Mapping[str, Any]) -> str:
    """A webhook's id (Zendesk's are strings such as `01GXN...`)."""
    with reading("webhook"):
        ident = webhook["id"]
        if not isinstance(ident, str) or not ident.isalnum():
            raise ValueError(f"not a webhook id: {ident!r}")
        return ident


def differences(found: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """What keeps the webhook found from delivering to `run` as wanted, in words."""
    wrong = [f"{key} {found.get(key)!r}, wanted {wanted[key]!r}" for key in SETTINGS
             if found.get(key) != wanted[key]]
    with reading("webhook: subscriptions"):
        has = {str(s) for s in a_list(found.get("subscriptions"), "webhook: subscriptions")}
    missing = [s for s in wanted["subscriptions"] if s not in has]
    extra = sorted(has - set(wanted["subscriptions"]))
    if missing:
        wrong.append("not subscribed to " + ", ".join(missing))
    if extra:
        wrong.append("also subscribed to " + ", ".join(extra))
    return wrong


def _kept(found: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body: ticketflow's settings, with the name and description the webhook has."""
    body = dict(wanted)
    for key in ("name", "description"):
        if isinstance(found.get(key), str) and found[key]:
            body[key] = found[key]
    return body


def _check_secret(client: ZendeskClient, ident: str, secret: str | None,
                  echo: Callable[[str], None]) -> None:
    """Say whether `secret` (TICKETFLOW_WEBHOOK_SECRET) is the webhook's signing secret;
    the secret itself is never printed."""
    answer = client.show(f"{PATH}/{ident}/signing_secret", "signing_secret")
    with reading("webhook signing secret"):
        theirs = answer["secret"]
        if not isinstance(theirs, str) or not theirs:
            raise ValueError("the secret is not a non-empty string")
    where = ("Admin Center > Apps and integrations > Webhooks > Webhooks > this webhook > "
             f"Reveal secret, or GET {PATH}/{ident}/signing_secret")
    if secret is None:
        echo("! webhook: set TICKETFLOW_WEBHOOK_SECRET to this webhook's signing secret "
             f"({where}) and restart `run`; until then `run` accepts no webhooks and polls on "
             "its timer")
        return
    if not hmac.compare_digest(secret.encode(), theirs.encode()):
        echo("! webhook: TICKETFLOW_WEBHOOK_SECRET is not this webhook's signing secret, so "
             f"`run` refuses its deliveries (401): set it to the signing secret ({where}) "
             "and restart `run`")
        return
    echo("= webhook signing secret is TICKETFLOW_WEBHOOK_SECRET: verified end to end")


def _events(webhook: Mapping[str, Any]) -> str:
    return ", ".join(str(s).removeprefix("zen:event-type:")
                     for s in webhook.get("subscriptions", ()))
