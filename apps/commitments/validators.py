"""Checks of commitment templates, below the models (``CommitmentTemplate.clean``) and the services."""

import string

PLACEHOLDERS = {
    "主体名称": "the subject's name",
    "主体代码": "the subject's public code (USCC, or masked ID number)",
    "承诺事项": "the matter",
    "承诺日期": "the signing date",
    "履约期限": "the date by which the commitment must be kept",
    "监管部门": "the supervising department",
}


def template_placeholders_check(body: str) -> list[str]:
    problems = []
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(body) if name is not None}
    except ValueError:
        return ["承诺书正文中的花括号不成对。"]
    unknown = sorted(n for n in names if n not in PLACEHOLDERS)
    if unknown:
        problems.append(f"未知的占位符：{'、'.join('{' + n + '}' for n in unknown)}；可用：{'、'.join(PLACEHOLDERS)}。")
    return problems
