"""A natural person's ID number never leaves the platform unmasked on a public surface."""

import pytest

from .factories import ID_NUMBER, ID_NUMBER_MASKED, make_person


@pytest.fixture
def person(db):
    return make_person("张三", ID_NUMBER)


def test_stored_only_hashed_masked_and_encrypted(person):
    values = [str(v) for v in person.__dict__.values()]
    assert ID_NUMBER not in values
    assert person.id_number_masked == ID_NUMBER_MASKED
    assert person.public_code == ID_NUMBER_MASKED


@pytest.mark.parametrize(
    "url, params",
    [
        ("/", {}),
        ("/", {"q": ID_NUMBER}),
        ("/api/v1/departments/", {}),
        ("/api/v1/subjects/validate-code/", {"code": ID_NUMBER, "type": "id_card"}),
        ("/api/v1/subjects/validate-code/", {"code": ID_NUMBER}),
        ("/api/v1/subjects/validate-code/", {"code": ID_NUMBER.lower()}),
        ("/api/v1/schema/", {"format": "json"}),
        ("/subjects/", {"q": ID_NUMBER}),
        ("/subjects/{pk}/", {}),
    ],
)
def test_no_public_response_contains_the_number(client, person, dept_a, url, params):
    response = client.get(url.format(pk=person.pk), params)
    assert response.status_code in (200, 302)
    body = response.content.decode()
    assert ID_NUMBER not in body
    assert ID_NUMBER.lower() not in body
    assert ID_NUMBER not in response.get("Location", "")


def test_audit_log_of_the_creation_holds_no_number(person):
    from auditlog.models import LogEntry

    for entry in LogEntry.objects.all():
        assert ID_NUMBER not in str(entry.changes)
