from django import forms

from .models import Bank


class NeedForm(forms.Form):
    amount = forms.DecimalField(label="融资金额（万元）", max_digits=12, decimal_places=2, min_value=0.01)
    term_months = forms.IntegerField(label="期限（月）", min_value=1, max_value=360)
    purpose = forms.CharField(label="用途", max_length=200)


class AuthoriseForm(forms.Form):
    bank = forms.ModelChoiceField(label="合作银行", queryset=Bank.objects.all())
    action = forms.ChoiceField(choices=[("grant", "授权"), ("revoke", "撤销授权")], widget=forms.HiddenInput)
