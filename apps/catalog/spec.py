"""A record type compiled for validation: the one pipeline behind form, upload and API.

``TypeSpec.validate`` takes a row keyed by field code (after header matching)
and returns clean values plus *every* problem found, field by field, so a clerk
sees all of a row's problems at once.
"""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from apps.subjects.codes import check_id_number, check_uscc
from apps.subjects.masking import ID_KIND, MOBILE_KIND, personal_numbers

from .choices import FieldType, Role
from .lookups import choices_for
from .models import FieldSpec, RecordType
from .normalise import ValueProblem, clean_text, fold, header_key, parse_date, parse_decimal, split_multi

PERSON_KIND = "自然人"
LEGAL_KIND = "法人及非法人组织"
INDIVIDUAL_BUSINESS_KIND = "个体工商户"
ID_CARD = "身份证"
# Other spellings of the 失信行为严重程度 values (the intake contract: template words with 失信, and the
# batch API's English keys), folded onto the catalog's own choices before the enumeration check.
SEVERITY_SPELLINGS = {
    "轻微失信": "轻微", "一般失信": "一般", "严重失信": "严重",
    "minor": "轻微", "general": "一般", "serious": "严重",
}  # fmt: skip


@dataclass
class Problem:
    field: str  # field code, or "" for the row as a whole
    label: str
    message: str

    def __str__(self):
        return f"{self.label}：{self.message}" if self.label else self.message


@dataclass
class RowResult:
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems


def _matches(rule: dict | None, values: dict) -> bool:
    """Evaluate a required_when / forbidden_when rule against already-clean values."""
    if not rule:
        return False
    current = values.get(rule.get("field"))
    if "in" in rule:
        return current in rule["in"]
    if "contains" in rule:
        return isinstance(current, list) and rule["contains"] in current
    if "equals" in rule:
        return current == rule["equals"]
    return False


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
                result.values[spec.code] = self._clean(spec, value, result)
            except ValueProblem as problem:
                result.problems.append(Problem(spec.code, spec.label, str(problem)))
        self._check_presence(result)
        self._check_cross_field(result, today)
        return result

    def _clean(self, spec: FieldSpec, value, result: RowResult):
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
            valid, code, errors, warnings = _uscc_verdict(value)
            if not valid:
                raise ValueProblem("；".join(errors))
            result.warnings.extend(Problem(spec.code, spec.label, w) for w in warnings)
            return code
        if kind == FieldType.ID_NUMBER:
            # Checked against GB 11643 only when the type says 身份证 (see cross-field rules).
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

    def _check_presence(self, result: RowResult):
        values = result.values
        failed = {p.field for p in result.problems}
        for spec in self.fields:
            present = spec.code in values or spec.code in failed
            if not present and (spec.required or _matches(spec.required_when, values)):
                why = "必填" if spec.required else "在此情形下必填"
                result.problems.append(Problem(spec.code, spec.label, f"{why}，不能为空"))
            if spec.code in values and _matches(spec.forbidden_when, values):
                subject_kind = values.get(spec.forbidden_when["field"])
                result.problems.append(Problem(spec.code, spec.label, f"行政相对人类别为“{subject_kind}”时不应填写"))

    def _check_cross_field(self, result: RowResult, today: datetime.date):
        values, add = result.values, result.problems.append

        def get(role):
            code = self.field_code(role)
            return (code, values.get(code)) if code else (None, None)

        decision_code, decision = get(Role.DECISION_DATE)
        if decision and decision > today:
            add(Problem(decision_code, self.by_code[decision_code].label, "决定日期不能晚于今天"))
        from_code, valid_from = get(Role.VALID_FROM)
        to_code, valid_to = get(Role.VALID_TO)
        if valid_from and valid_from > today:
            add(Problem(from_code, self.by_code[from_code].label, "有效期起始日不能晚于今天"))
        if valid_from and valid_to and valid_from > valid_to:
            add(Problem(to_code, self.by_code[to_code].label, "有效期至不能早于有效期自"))
        end_code, publicity_end = get(Role.PUBLICITY_END)
        if publicity_end and decision and publicity_end <= decision:
            add(Problem(end_code, self.by_code[end_code].label, "公示截止期应晚于决定日期"))

        kind_code, subject_kind = get(Role.SUBJECT_KIND)
        if subject_kind == INDIVIDUAL_BUSINESS_KIND:
            uscc_code, uscc = get(Role.SUBJECT_USCC)
            id_code, person_id = get(Role.PERSON_ID)
            if uscc_code and not uscc and not (id_code and person_id):
                add(
                    Problem(
                        uscc_code,
                        self.by_code[uscc_code].label,
                        "个体工商户应填写统一社会信用代码，没有的填写经营者证件号码",
                    )
                )
        self._check_id(result, Role.PERSON_ID_TYPE, Role.PERSON_ID)
        self._check_id(result, Role.LEGAL_REP_ID_TYPE, Role.LEGAL_REP_ID)

        fine_code, fine = get(Role.FINE_AMOUNT)
        kinds_code, kinds = get(Role.PENALTY_KINDS)
        if fine is not None and kinds and "罚款" not in kinds and fine > Decimal(0):
            add(Problem(fine_code, self.by_code[fine_code].label, "处罚类别未包含“罚款”，不应填写罚款金额"))

    def _check_id(self, result: RowResult, type_role: str, number_role: str):
        type_code = self.field_code(type_role)
        number_code = self.field_code(number_role)
        if type_code and number_code:
            self._validate_id(result, result.values.get(type_code), number_code)

    def _validate_id(self, result: RowResult, id_type, number_code):
        number = result.values.get(number_code)
        if number and (id_type in (None, ID_CARD)):
            check = check_id_number(number)
            if not check.valid:
                result.problems.append(Problem(number_code, self.by_code[number_code].label, "；".join(check.errors)))
            else:
                result.values[number_code] = check.code


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


@functools.lru_cache(maxsize=65536)
def _uscc_verdict(value) -> tuple[bool, str, tuple[str, ...], tuple[str, ...]]:
    """check_uscc, remembered: every row of a file repeats the department's own codes, and subjects recur."""
    check = check_uscc(value)
    return check.valid, check.code, tuple(check.errors), tuple(check.warnings)
