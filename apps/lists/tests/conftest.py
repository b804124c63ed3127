import pytest

from .checks_support import make_recogniser


@pytest.fixture
def recogniser(dept_b):
    """dept_b (the tax bureau, holding the "list" power) recognises a black, a red and a watch list and
    失信被执行人 (``checks_support.RECOGNISED``); a module needing other list types overrides this."""
    make_recogniser(dept_b)
    return dept_b
