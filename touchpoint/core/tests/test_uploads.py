import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from touchpoint.core.uploads import check_upload


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_a_real_pdf_passes_and_is_fingerprinted():
    facts = check_upload(upload("合同扫描件.pdf", b"%PDF-1.7\n1 0 obj\n"))
    assert facts.content_type == "application/pdf"
    assert facts.name == "合同扫描件.pdf"
    assert len(facts.sha256) == 64


def test_an_exe_renamed_pdf_is_refused_as_disguised():
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100))
    assert caught.value.code == "disguised"


@pytest.mark.parametrize("name", ["shell.pHp", "run.exe", "x.PHP", "noext", "page.html", "a.svg"])
def test_types_outside_the_allow_list_are_refused_whatever_the_case(name):
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(name, b"<?php echo 1; ?>"))
    assert caught.value.code == "type"


def test_double_extension_is_judged_by_the_last_one_and_its_content():
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("evil.php.jpg", b"<?php system($_GET[1]); ?>"))
    assert caught.value.code == "disguised"


def test_a_binary_disguised_as_text_is_refused():
    with pytest.raises(ValidationError):
        check_upload(upload("notes.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 50))


def test_gb18030_text_is_accepted():
    check_upload(upload("传真.txt", "客户来函：行情延迟".encode("gb18030")))


def test_an_oversized_file_is_refused_with_the_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("big.pdf", b"%PDF-" + b"0" * 2000))
    assert caught.value.code == "size"
    assert "1.0" in str(caught.value.messages[0])


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as caught:
        check_upload(upload("empty.pdf", b""))
    assert caught.value.code == "empty"


def test_a_path_in_the_name_is_stripped():
    facts = check_upload(upload("../../etc/passwd.txt", b"hello"))
    assert facts.name == "passwd.txt"
