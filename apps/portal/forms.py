from django import forms

from .models import Article

TITLE_MAX = 200
BODY_MAX = 50_000


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["title", "category", "body", "is_published", "published_on"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 16}),
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "title": {"required": "请填写标题。", "max_length": f"标题不能超过{TITLE_MAX}个字。"},
            "category": {"required": "请选择栏目。", "invalid_choice": "栏目不正确。"},
            "body": {"required": "请填写正文。"},
            "published_on": {"invalid": "发布日期格式不正确（年-月-日）。"},
        }

    def clean_title(self):
        title = " ".join((self.cleaned_data.get("title") or "").split())
        if not title:
            raise forms.ValidationError("请填写标题。")
        return title

    def clean_body(self):
        body = (self.cleaned_data.get("body") or "").replace("\r\n", "\n").strip()
        if not body:
            raise forms.ValidationError("请填写正文。")
        if len(body) > BODY_MAX:
            raise forms.ValidationError(f"正文不能超过{BODY_MAX}个字（现有{len(body)}个）。")
        return body
