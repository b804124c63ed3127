"""A record type compiled for validation: the one pipeline behind form, upload and API.

``TypeSpec.validate`` takes a row keyed by field code (after header matching)
and returns clean values plus *every* problem found, field by field, so a clerk
sees all of a row's problems at once.
"""

import datetime
import functools

from apps.subjects.codes import check_uscc
from apps.subjects.masking import ID_KIND, MOBILE_KIND, personal_numbers

from .choices import FieldType, Role
from .lookups import choices_for
from .models import FieldSpec, RecordType
from .normalise import ValueProblem, clean_text, fold, header_key, parse_date, parse_decimal, split_multi
from .rules import (
    CATALOG,
    ID_CARD,
    INDIVIDUAL_BUSINESS_KIND,
    LEGAL_KIND,
    PERSON_KIND,
    Context,
    Problem,
    RowResult,
    rules_for,
    run_rules,
)

# The row types and kind names live with the rules (apps.catalog.rules); they are named here too, where
# the intake has always found them.
__all__ = [
    "ID_CARD",
    "INDIVIDUAL_BUSINESS_KIND",
    "LEGAL_KIND",
    "PERSON_KIND",
    "SEVERITY_SPELLINGS",
    "Problem",
    "RowResult",
    "TypeSpec",
    "personal_number_warning",
    "uscc_verdict",
]

# Other spellings of the 失信行为严重程度 values (the intake contract: template words with 失信, and the
# batch API's English keys), folded onto the catalog's own choices before the enumeration check.
SEVERITY_SPELLINGS = {
    "轻微失信": "轻微",
    "一般失信": "一般",
    "严重失信": "严重",
    "minor": "轻微",
    "general": "一般",
    "serious": "严重",
}


class TypeSpec:
    def __init__(self, record_type: RecordType, fields: list[FieldSpec]):
        self.record_type = record_type
        for spec in fields:
            if spec.choices_from:
                spec.choices = choices_for(spec.choices_from)
        self.fields = fields
        self.by_code = {f.code: f for f in fields}
        self.by_role = {f.role: f for f in fields if f.role and f.role != Role.LEGACY_CODE}
        self.legacy_fields = [f for f in fields if f.role == Role.LEGACY_CODE]
        # Every row rule of the type, bound once (apps.catalog.rules); validate() runs the catalog's own.
        self.rules = rules_for(self)
        self.catalog_rules = [rule for rule in self.rules if rule.stage == CATALOG]
        self._headers = {}
        for f in fields:
            for name in [f.code, f.label, *f.aliases]:
                self._headers.setdefault(header_key(name), f.code)

    @classmethod
    def load(cls, record_type: RecordType | str) -> "TypeSpec":
        if isinstance(record_type, str):
            record_type = RecordType.objects.select_related("power").get(code=record_type)
        return cls(record_type, list(record_type.fields.order_by("order")))

    # --- headers ---------------------------------------------------------------

    def match_headers(self, headers: list) -> tuple[dict[int, str], list[str], list[str]]:
        """Map column positions to field codes.

        Returns (mapping, unknown headers, missing required field labels). Required
        here means always-required; conditionally required columns may be absent
        when no row needs them.
        """
        mapping, unknown, seen = {}, [], set()
        for position, header in enumerate(headers):
            text = clean_text(header)
            if not text:
                continue
            code = self._headers.get(header_key(text))
            if code is None or code in seen:
                unknown.append(text)
                continue
            mapping[position] = code
            seen.add(code)
        missing = [f.label for f in self.fields if f.required and f.code not in seen]
        return mapping, unknown, missing

    def field_code(self, role: str) -> str | None:
        spec = self.by_role.get(role)
        return spec.code if spec else None

    # --- values -----------------------------------------------------------------

    def validate(self, raw: dict, *, today: datetime.date) -> RowResult:
        result = RowResult()
        for spec in self.fields:
            value = raw.get(spec.code)
            if value is None or (isinstance(value, str) and not clean_text(value)):
                continue
            try:
                result.values[spec.code] = self.clean(spec, value, result)
            except ValueProblem as problem:
                result.problems.append(Problem(spec.code, spec.label, str(problem)))
        run_rules(self.catalog_rules, result, Context(today=today))
        return result

    def clean(self, spec: FieldSpec, value, result: RowResult):
        """One field's value as stored (warnings go to ``result``); ``ValueProblem`` when it is not valid."""
        kind = spec.field_type
        if kind == FieldType.DATE:
            return parse_date(value)
        if kind == FieldType.OPEN_DATE:
            return parse_date(value, open_ended=True)
        if kind == FieldType.DECIMAL:
            return parse_decimal(value, places=spec.decimal_places)
        if kind == FieldType.ENUM:
            text = fold(value)
            if spec.role == Role.SEVERITY:
                text = SEVERITY_SPELLINGS.get(text.lower(), text)
                if text not in spec.choices:
                    raise ValueProblem(
                        f"“{clean_text(value)}”不是有效的失信行为严重程度，应填写{'、'.join(spec.choices)}"
                        "（也可写作轻微失信、一般失信、严重失信），不确定的可不填，由平台按规则认定"
                    )
            if text not in spec.choices:
                raise ValueProblem(f"“{clean_text(value)}”不在可选值中（{'、'.join(spec.choices)}）")
            return text
        if kind == FieldType.MULTI_ENUM:
            parts = split_multi(value)
            wrong = [part for part in parts if part not in spec.choices]
            if wrong:
                raise ValueProblem(f"“{'、'.join(wrong)}”不在可选值中（{'、'.join(spec.choices)}）")
            return list(dict.fromkeys(parts))
        if kind == FieldType.USCC:
            valid, code, errors, warnings = uscc_verdict(value)
            if not valid:
                raise ValueProblem("；".join(errors))
            result.warnings.extend(Problem(spec.code, spec.label, w) for w in warnings)
            return code
        if kind == FieldType.ID_NUMBER:
            # Checked against GB 11643 only when the type says 身份证 (rules.PersonIdNumber / LegalRepIdNumber).
            return fold(value).upper()
        text = clean_text(value)
        if spec.max_length and len(text) > spec.max_length:
            raise ValueProblem(f"长度{len(text)}超过上限{spec.max_length}个字符")
        # Old codes (工商注册号, a 个体工商户's 税务登记号) are numbers by nature: no warning there.
        if spec.role != Role.LEGACY_CODE:
            warning = personal_number_warning(text)
            if warning:
                result.warnings.append(Problem(spec.code, spec.label, warning))
        return text


def personal_number_warning(text: str) -> str:
    """The clerk's warning for an ID or mobile number inside a name or free-text value, or "".

    A warning, not a problem: a natural person's 行政相对人名称 is legitimately a name, and
    the row is stored. The number itself is not repeated (the message reaches API answers and pages).
    """
    kinds = {number.kind for number in personal_numbers(text)}
    parts = []
    if ID_KIND in kinds:
        parts.append(
            "含有身份证号码，公示时将脱敏显示（如 371083********123X）；证件号码请填写在“证件号码”栏，不要写在此处"
        )
    if MOBILE_KIND in kinds:
        parts.append("含有手机号码，公示时将隐去中间四位（如 138****5678）；联系电话不予公示，请勿填写在此处")
    return "；".join(parts)


@functools.lru_cache(maxsize=4096)
def uscc_verdict(value) -> tuple[bool, str, tuple[str, ...], tuple[str, ...]]:
    """check_uscc, remembered: every row of a file repeats the department's own codes, and subjects recur.

    Small on purpose (~1 MB): the department's codes stay in it, and recurring subjects are near each other
    in a file; 65,536 entries held ~15 MB for the whole of a large import (measured with tracemalloc).
    """
    check = check_uscc(value)
    return check.valid, check.code, tuple(check.errors), tuple(check.warnings)
