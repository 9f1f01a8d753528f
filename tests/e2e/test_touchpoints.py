import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from touchpoint.touchpoints.models import Attachment, Touchpoint

SUBJECT = "确认两融模块上线时间"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MINUTES = {"name": "会议纪要.pdf", "mimeType": "application/pdf", "buffer": PDF}


@pytest.mark.browser
def test_rep_logs_a_call_with_an_attachment_that_only_visible_users_can_download(people, signed_in, screenshot_dir):
    customer, contact = people.customer_a, people.contact_a
    page = signed_in("rep")
    page.goto(f"/customers/{customer.pk}/")
    page.locator(f"#main a[href='/customers/{customer.pk}/touchpoints/new/?channel=phone']").click()

    form = page.locator("#main form[method=post]")
    expect(form.locator("[name=channel]")).to_have_value("phone")
    form.locator("[name=direction]").select_option("out")
    form.locator("[name=subject]").fill(SUBJECT)
    form.locator("[name=notes]").fill("张总确认下月中旬上线，需要现场支持两天。")
    form.locator("[name=outcome]").fill("安排工程师现场支持")
    form.locator(f"[name=contacts][value='{contact.pk}']").check()
    form.locator("[name=files]").set_input_files(files=[MINUTES])
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/#tp-\d+$"))
    item = page.locator("#timeline .timeline-item", has_text=SUBJECT)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("安排工程师现场支持")
    touchpoint = Touchpoint.objects.get(subject=SUBJECT)
    assert (touchpoint.customer, touchpoint.channel, touchpoint.direction, touchpoint.logged_by) == (
        customer, "phone", "out", people.sales_rep,
    )  # fmt: skip
    assert list(touchpoint.contacts.all()) == [contact]
    attachment = Attachment.objects.get(touchpoint=touchpoint)
    assert (attachment.original_name, attachment.content_type, attachment.size) == ("会议纪要.pdf", "application/pdf", len(PDF))
    download_url = f"/attachments/{attachment.pk}/download/"

    # The owner opens the touchpoint from the timeline and downloads the file.
    item.locator(f"a[href='/touchpoints/{touchpoint.pk}/']").click()
    with page.expect_download() as download_info:
        page.locator(f"#main a[href='{download_url}']").click()
    download = download_info.value
    assert download.suggested_filename == "会议纪要.pdf"
    assert Path(download.path()).read_bytes() == PDF
    page.screenshot(path=screenshot_dir / "touchpoint-with-attachment.png", full_page=True)

    # A rep in another team gets a plain 404 for the same URL, as if it did not exist.
    other = signed_in("rep2")
    response = other.request.get(download_url)
    assert response.status == 404
    assert PDF not in response.body()
