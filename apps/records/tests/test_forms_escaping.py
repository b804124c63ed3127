import pytest

from apps.catalog.models import FieldSpec
from apps.catalog.spec import TypeSpec
from apps.records.forms import RecordForm

pytestmark = pytest.mark.django_db


def test_catalog_help_text_is_escaped_in_the_generated_form():
    spec = FieldSpec.objects.filter(record_type__code="penalty").order_by("pk").first()
    spec.help_text = '<script>alert("x")</script>'
    spec.save()
    form = RecordForm(spec=TypeSpec.load("penalty"))
    assert form.fields[spec.code].help_text == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert "<script>" not in form.as_div()
