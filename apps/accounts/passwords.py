"""Password rules with Chinese messages.

Django's zh-hans catalogue translates the help text of
``MinimumLengthValidator`` but not its (plural) error message, so a user who
chose a short password read "This password is too short. It must contain at
least 10 characters." — the one English sentence left on the account pages.
"""

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self):
        return f"密码至少需要 {self.min_length} 个字符。"
