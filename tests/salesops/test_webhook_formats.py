"""Each chat product gets the payload shape its incoming-webhook API documents."""

import pytest

from salesops.webhook_formats import (
    WebhookMessage,
    build_payload,
    is_transient_status,
    response_error,
)

MESSAGE = WebhookMessage(
    event="milestone.blocked",
    title="里程碑受阻",
    body="华东销售: 试点推广 blocked",
    url="https://salesops.example.com/o/demo/",
    org="Demo",
    team="East Sales",
    link_label="Open in SalesOps",
)


def test_slack_has_fallback_text_and_mrkdwn_section_with_button():
    payload = build_payload("slack", MESSAGE)
    assert payload["text"].startswith("里程碑受阻")
    section, actions = payload["blocks"]
    assert section == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*里程碑受阻*\n华东销售: 试点推广 blocked"},
    }
    assert actions["elements"][0]["url"] == MESSAGE.url


def test_teams_sends_an_adaptive_card_attachment():
    payload = build_payload("teams", MESSAGE)
    assert payload["type"] == "message"
    attachment = payload["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"] == "里程碑受阻"
    assert card["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "Open in SalesOps",
        "url": MESSAGE.url,
    }


def test_dingtalk_sends_markdown_with_title():
    payload = build_payload("dingtalk", MESSAGE)
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "里程碑受阻"
    assert payload["markdown"]["text"].startswith("### 里程碑受阻")
    assert f"[Open in SalesOps]({MESSAGE.url})" in payload["markdown"]["text"]


def test_wecom_sends_markdown_content():
    payload = build_payload("wecom", MESSAGE)
    assert payload == {
        "msgtype": "markdown",
        "markdown": {
            "content": f"**里程碑受阻**\n{MESSAGE.body}\n[Open in SalesOps]({MESSAGE.url})"
        },
    }


def test_feishu_sends_a_rich_text_post():
    payload = build_payload("feishu", MESSAGE)
    assert payload["msg_type"] == "post"
    post = payload["content"]["post"]["zh_cn"]
    assert post["title"] == "里程碑受阻"
    assert post["content"][0] == [{"tag": "text", "text": MESSAGE.body}]
    assert post["content"][1] == [{"tag": "a", "text": "Open in SalesOps", "href": MESSAGE.url}]


def test_generic_json_carries_every_field():
    assert build_payload("generic", MESSAGE) == {
        "event": "milestone.blocked",
        "title": "里程碑受阻",
        "body": MESSAGE.body,
        "url": MESSAGE.url,
        "organization": "Demo",
        "team": "East Sales",
    }


def test_no_link_when_there_is_no_url():
    bare = WebhookMessage(event="e", title="t", body="b", url="", org="o", team="t")
    assert len(build_payload("slack", bare)["blocks"]) == 1
    assert "actions" not in build_payload("teams", bare)["attachments"][0]["content"]
    assert len(build_payload("feishu", bare)["content"]["post"]["zh_cn"]["content"]) == 1


@pytest.mark.parametrize(
    ("kind", "status", "body", "error"),
    [
        ("slack", 200, None, ""),
        ("slack", 404, None, "HTTP 404"),
        ("dingtalk", 200, {"errcode": 0, "errmsg": "ok"}, ""),
        (
            "dingtalk",
            200,
            {"errcode": 310000, "errmsg": "keywords not in content"},
            "errcode 310000: keywords not in content",
        ),
        (
            "wecom",
            200,
            {"errcode": 93000, "errmsg": "invalid webhook url"},
            "errcode 93000: invalid webhook url",
        ),
        ("feishu", 200, {"code": 0, "msg": "success"}, ""),
        ("feishu", 200, {"code": 19021, "msg": "sign match fail"}, "code 19021: sign match fail"),
        ("feishu", 200, {"StatusCode": 0, "StatusMessage": "success"}, ""),
        ("generic", 500, None, "HTTP 500"),
    ],
)
def test_response_error_reads_each_products_answer(kind, status, body, error):
    assert response_error(kind, status, body) == error


@pytest.mark.parametrize(
    ("status", "transient"), [(429, True), (500, True), (503, True), (400, False), (404, False)]
)
def test_only_rate_limits_and_server_errors_are_retried(status, transient):
    assert is_transient_status(status) is transient
