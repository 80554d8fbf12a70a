"""bot/access.py: a reference code and its contact read from a message; contact details masked."""

import pytest

from bot.access import mask_email, mask_phone, read_code_request


@pytest.mark.parametrize(
    ("text", "code", "phone", "email"),
    [
        ("delete my data HN-7K3Q9P +86 138 0013 8000", "HN-7K3Q9P", "+8613800138000", None),
        ("what do you know about me? hn 7k3q9p Li.Na@Example.com.", "HN-7K3Q9P", None,
         "Li.Na@example.com"),
        ("删除我的数据 HN-7K3Q9P 13800138000", "HN-7K3Q9P", "+8613800138000", None),
        ("编号HN-8HRNBX 邮箱wang.fang@example.com。删除", "HN-8HRNBX", None,
         "wang.fang@example.com"),
        ("HN-234678 13800138000", "HN-234678", "+8613800138000", None),  # all-digit code
        ("what do you know about me HN-7K3Q9P", "HN-7K3Q9P", None, None),
    ],
)  # fmt: skip
def test_a_code_request_is_read_from_the_message(text, code, phone, email):
    request = read_code_request(text)
    assert (request.code, request.phone, request.email) == (code, phone, email)


@pytest.mark.parametrize(
    "text", ["what do you know about me", "HN2301 study", "HN-7K3Q9", "HN-7K3Q9PX", "HN-ABCDE1"]
)
def test_no_code_no_request(text):
    assert read_code_request(text) is None


def test_contact_details_are_masked():
    assert mask_phone("+8613800138000") == "+86 138 **** 8000"
    assert mask_phone("+14155552671") == "+1 415-***-2671"
    assert mask_email("zhu.chen@example.com") == "z***@example.com"
    assert "0013" not in mask_phone("+8613800138000")
