"""The channel dimension in Chromium: the report draws its channel chart, the wallboard shows who waits where."""
from __future__ import annotations

import pytest

from callcenter.channels.base import Inbound, Sender
from callcenter.db import transaction
from callcenter.models import Channel
from tests.deskdata import PASSWORD, build
from tests.support.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_channel_report_and_backlog_in_a_browser(browser, live_server, live_container) -> None:
    build(live_container.session_factory, live_container.settings.recordings_dir())
    for inbound in (Inbound(channel=Channel.EMAIL, channel_key="<b1@example.com>", subject="Invoice", body="Wrong sum",
                            sender=Sender("email", "li@example.com")),
                    Inbound(channel=Channel.EMAIL, channel_key="<b2@example.com>", subject="Router", body="Red light",
                            sender=Sender("email", "wu@example.com")),
                    Inbound(channel=Channel.WECHAT, channel_key="wx-77", body="快递没到",
                            sender=Sender("wechat", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", verified=True))):
        with transaction(live_container.session_factory) as s:
            live_container.channel_intake.receive(s, inbound)
    page = browser.new_page(locale="en-US", viewport={"width": 1600, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, live_server, "ada", PASSWORD)
    page.goto(f"{live_server}/reports/")
    page.wait_for_selector("#chart-channels canvas", timeout=10000)
    drawn = page.evaluate("""() => { const o = echarts.getInstanceByDom(document.getElementById('chart-channels'))
        .getOption(); return [o.xAxis[0].data, o.series[0].data, o.series[1].data]; }""")
    assert drawn[0] == ["Phone", "E-mail", "Web form", "WeChat", "SMS"]
    # build() made two desk tickets: tickets and backlog per channel, as the table says.
    assert drawn[1] == [2, 2, 0, 1, 0] and drawn[2] == [2, 2, 0, 1, 0]
    assert page.locator("#channel-table tr[data-channel=email] td").nth(1).inner_text() == "2"
    assert page.locator("#channel-table tr[data-channel=wechat] td").first.inner_text() == "WeChat"
    screenshot(page, "report-channels")
    page.goto(f"{live_server}/wallboard/")
    page.wait_for_selector(".wb-channel[data-channel=email].busy", timeout=10000)
    assert page.inner_text(".wb-channel[data-channel=email] .wb-waiting") == "2"
    assert page.inner_text(".wb-channel[data-channel=wechat] .wb-waiting") == "1"
    assert page.inner_text(".wb-channel[data-channel=sms] .wb-waiting") == "0"
    assert "WECHAT" in page.inner_text(".wb-channel[data-channel=wechat]").upper()
    screenshot(page, "wallboard-channels")
    assert problems == []
    page.close()
