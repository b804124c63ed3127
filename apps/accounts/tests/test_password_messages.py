"""Every password-rule message a user can meet is Chinese (issue 16 bug 5)."""

import re

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError

from apps.accounts.models import User

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("password", ["abc", "1234567890123", "zhangwei12345", "password"])
def test_rejections_are_chinese(password):
    user = User(username="zhangwei12345", email="zhangwei12345@example.cn")
    with pytest.raises(ValidationError) as caught:
        validate_password(password, user)
    for message in caught.value.messages:
        assert not ENGLISH_WORD.search(message.replace("zhangwei12345", "")), message


def test_too_short_names_the_minimum():
    with pytest.raises(ValidationError) as caught:
        validate_password("Zq8#kP2")
    assert "密码太短，至少需要 10 个字符。" in caught.value.messages


def test_help_texts_are_chinese():
    for text in password_validators_help_texts():
        assert not ENGLISH_WORD.search(text), text
