"""Commitment templates and the 告知承诺 matters, published (文登 #1, 平陆 #9)."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.commitments.models import CommitmentTemplate

pytestmark = pytest.mark.django_db


def get(name, *args, **query):
    return Client().get(reverse(name, args=args), query)


def test_anonymous_visitor_lists_active_templates_by_type(dept_a):
    t = CommitmentTemplate.objects.get(type="tolerance", matter="市场主体登记容缺受理")
    t.supervising_department = dept_a
    t.save()
    html = get("commitments:public_templates").content.decode()
    assert t.matter in html and dept_a.name in html
    assert reverse("commitments:public_template", args=[t.pk]) in html
    assert reverse("commitments:template_edit", args=[t.pk]) not in html  # no staff link
    only = get("commitments:public_templates", type="certificate").content.decode()
    assert "证明事项告知承诺制" in only and t.matter not in only


def test_template_text_is_a_blank_form_and_retired_templates_are_gone():
    t = CommitmentTemplate.objects.get(type="certificate")
    t.body = "本单位{主体名称}（代码{主体代码}）承诺所填信息真实。联系电话 13800138000。"
    t.save()
    html = get("commitments:public_template", t.pk).content.decode()
    assert "【主体名称】" in html and "【主体代码】" in html and "{主体名称}" not in html
    assert "13800138000" not in html
    t.is_active = False
    t.save()
    response = get("commitments:public_template", t.pk)
    assert response.status_code == 404
    assert t.matter not in get("commitments:public_templates").content.decode()


def test_notice_matters_are_the_two_notification_commitment_types_only():
    html = get("commitments:public_matters").content.decode()
    assert "告知承诺办理事项清单" in html
    assert "证明事项告知承诺制" in html  # 证明事项告知承诺型
    assert "企业投资项目备案以承诺代替审批" in html  # 审批替代型 (涉企经营许可事项)
    assert "市场主体登记容缺受理" not in html and "行业协会自律承诺" not in html
    assert "市场主体登记容缺受理" not in get("commitments:public_matters", q="证明").content.decode()


def test_public_template_pages_page_through_many_templates():
    for i in range(23):
        CommitmentTemplate.objects.create(
            type="certificate", matter=f"测试证明事项{i:02d}", title="承诺书", body="承诺。"
        )
    first = get("commitments:public_matters", q="测试证明事项").content.decode()
    second = get("commitments:public_matters", q="测试证明事项", page=2).content.decode()
    assert first.count("<td>测试证明事项") == 20 and second.count("<td>测试证明事项") == 3
    assert "page=2" in first
