"""Payloads for team chat webhooks, one function per product, and how each says "ok".

Pure: no database, no network. Formats follow each product's documented incoming
webhook API: Slack (text + blocks), Microsoft Teams (Adaptive Card attachment),
DingTalk and WeCom (markdown message), Feishu/Lark (rich-text post), and a plain
JSON shape for anything else.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WebhookMessage:
    event: str
    title: str
    body: str
    url: str
    org: str
    team: str
    link_label: str = "Open in SalesOps"


def slack(message: WebhookMessage) -> dict[str, Any]:
    text = f"*{message.title}*\n{message.body}".strip()
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if message.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": message.link_label},
                        "url": message.url,
                    }
                ],
            }
        )
    return {"text": f"{message.title}: {message.body}".strip(": "), "blocks": blocks}


def teams(message: WebhookMessage) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": message.title,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": message.body, "wrap": True},
        ],
    }
    if message.url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": message.link_label, "url": message.url}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _markdown(message: WebhookMessage, heading: str) -> str:
    text = f"{heading} {message.title}\n\n{message.body}".strip()
    if message.url:
        text += f"\n\n[{message.link_label}]({message.url})"
    return text


def dingtalk(message: WebhookMessage) -> dict[str, Any]:
    return {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": _markdown(message, "###")},
    }


def wecom(message: WebhookMessage) -> dict[str, Any]:
    text = f"**{message.title}**\n{message.body}".strip()
    if message.url:
        text += f"\n[{message.link_label}]({message.url})"
    return {"msgtype": "markdown", "markdown": {"content": text}}


def feishu(message: WebhookMessage) -> dict[str, Any]:
    lines: list[list[dict[str, str]]] = [[{"tag": "text", "text": message.body}]]
    if message.url:
        lines.append([{"tag": "a", "text": message.link_label, "href": message.url}])
    return {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": message.title, "content": lines}}},
    }


def generic(message: WebhookMessage) -> dict[str, Any]:
    return {
        "event": message.event,
        "title": message.title,
        "body": message.body,
        "url": message.url,
        "organization": message.org,
        "team": message.team,
    }


BUILDERS = {
    "slack": slack,
    "teams": teams,
    "dingtalk": dingtalk,
    "feishu": feishu,
    "wecom": wecom,
    "generic": generic,
}


def build_payload(kind: str, message: WebhookMessage) -> dict[str, Any]:
    return BUILDERS[kind](message)


def response_error(kind: str, status: int, body: Any) -> str:
    """The error a webhook answered, or "" when it accepted the message.

    DingTalk, WeCom and Feishu answer HTTP 200 with an error code in the body.
    """
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if not isinstance(body, dict):
        return ""
    if kind in ("dingtalk", "wecom") and body.get("errcode", 0) != 0:
        return f"errcode {body.get('errcode')}: {body.get('errmsg', '')}".strip()
    if kind == "feishu":
        code = body.get("code", body.get("StatusCode", 0))
        if code != 0:
            return f"code {code}: {body.get('msg', body.get('StatusMessage', ''))}".strip()
    return ""


def is_transient_status(status: int) -> bool:
    return status == 429 or status >= 500
