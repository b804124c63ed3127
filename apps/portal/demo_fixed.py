"""The demo's fixed subjects: the departments as 机关, the subjects the demo accounts and the rare code kinds
rely on, and the deliberate 重错码 of the code-quality pages. Each is claimed in the ``SubjectFactory`` so the
random subjects never collide with it."""

from stdnum.cn import uscc as stdnum_uscc

from apps.subjects.choices import OperatingStatus, PublicBody, SubjectKind
from apps.subjects.codes import USCC_ALPHABET, build_uscc, org_code_check_char

from .demo_subjects import REGION, Spec, SubjectFactory, id_number, with_check

# The demo accounts' own subjects (their logins are printed by seed_demo).
DEMO_ENTERPRISE = "乳山市银滩海洋食品有限公司"
DEMO_PERSON = "王秀英"
DEMO_PERSON_ID17 = "37108319880512032"


def fixed(
    factory: SubjectFactory, prefix, name, body, *, kind=SubjectKind.LEGAL, strict=True, uscc=None, **fields
) -> Spec:
    factory.claim(factory.names, name)
    if body:
        factory.claim(factory.bodies, body)
    fields.setdefault("status", OperatingStatus.OPERATING)
    return Spec(kind=kind, name=name, uscc=uscc or build_uscc(prefix, REGION, body), strict=strict, fields=fields)


def department_specs(factory: SubjectFactory, departments) -> list[Spec]:
    """Government bodies are legal persons in the registry too (机关, prefix 11)."""
    return [
        fixed(
            factory,
            "11",
            d["name"],
            d["uscc_body"],
            legal_representative=factory.person_name(),
            public_body=PublicBody.ORGAN,
        )
        for d in departments
    ]


def anchor_specs(factory: SubjectFactory) -> dict[str, Spec]:
    """Subjects the demo accounts and the rare code kinds rely on."""
    body = "69441352"
    org_code = body + org_code_check_char(body)
    factory.id_numbers.add(id_number(DEMO_PERSON_ID17))
    return {
        "enterprise": fixed(
            factory,
            "91",
            DEMO_ENTERPRISE,
            body,
            legal_representative="于明华",
            organization_code=org_code,
            tax_number=REGION + org_code,
            registration_number=factory.claim(factory.numbers, with_check(f"{REGION}22801234")),
        ),
        "person": Spec(kind=SubjectKind.PERSON, name=DEMO_PERSON, id_number=id_number(DEMO_PERSON_ID17)),
        "credit_center": fixed(
            factory,
            "12",
            "乳山市公共信用信息中心",
            "MB0XY371",
            legal_representative="姜文博",
            public_body=PublicBody.INSTITUTION,
        ),
        "cooperative": fixed(
            factory, "93", "乳山市乳山口镇海丰牡蛎养殖专业合作社", "MA3CRH93", legal_representative="宋海波"
        ),
        "village": fixed(
            factory, "N2", "乳山市夏村镇西豆山村股份经济合作社", "MF3CXD12", legal_representative="于洪军"
        ),
        "township": fixed(factory, "N3", "乳山市夏村镇经济联合总社", "MF3CXC01", legal_representative="王振兴"),
        "group": fixed(
            factory, "N1", "乳山市冯家镇冯家村第一村民小组经济合作社", "MF3CFJ01", legal_representative="冯立新"
        ),
        "association": fixed(
            factory,
            "51",
            "乳山市个体劳动者协会",
            "MJ3CGT01",
            legal_representative="孙永庆",
            social_org_number=factory.claim(factory.numbers, "乳社证字第0001号"),
        ),
        "kindergarten": fixed(
            factory,
            "52",
            "乳山市阳光幼儿园",
            "MJ3CYG02",
            legal_representative="杨丽",
            social_org_number=factory.claim(factory.numbers, "乳民证字第0002号"),
        ),
        "foundation": fixed(
            factory,
            "53",
            "乳山市教育发展基金会",
            "MJ3CJY03",
            legal_representative="徐明",
            social_org_number=factory.claim(factory.numbers, "乳基证字第001号"),
        ),
        "committee": fixed(
            factory, "54", "乳山市城区街道胜利街社区居民委员会", "ME3CHL01", legal_representative="赵红梅"
        ),
        "law_firm": fixed(factory, "31", "山东乳山正信律师事务所", "MD3CJX01", legal_representative="林正"),
        "owners": fixed(factory, "Y1", "乳山市银滩花园小区业主委员会", "MC3CYT01", legal_representative="宫建国"),
        "military": fixed(factory, "A1", "乳山市人民武装部", "MG3CWB01", legal_representative="车光明"),
    }


def planted_specs(factory: SubjectFactory) -> list[Spec]:
    """Deliberate 重错码 for the code-quality pages (DOMAIN.md §2)."""
    specs = []
    # 重码: one valid USCC reported under two different names.
    pairs = [
        ("91", "MA3CHT01", ("乳山市恒泰建筑工程有限公司", "宋建国"), ("乳山市福源水产有限公司", "于春梅")),
        ("91", "MA3CJL02", ("乳山市金岭商贸有限公司", "林志刚"), ("乳山市金岭贸易有限公司", "林志刚")),
        ("92", "MA3CYJ03", ("乳山市城区于记水饺馆", "于桂芳"), ("乳山市城区老于家水饺馆", "于德胜")),
    ]
    for prefix, body, first, second in pairs:
        kind = SubjectKind.INDIVIDUAL_BUSINESS if prefix == "92" else SubjectKind.LEGAL
        code = build_uscc(prefix, REGION, body)
        factory.claim(factory.bodies, body)
        for name, representative in (first, second):
            specs.append(fixed(factory, prefix, name, None, kind=kind, uscc=code, legal_representative=representative))
    # 错码: position 18 does not match (a digit mistyped at entry); kept and flagged.
    wrong = [
        ("91", "MA3CHD04", "乳山市宏达机械有限公司", "姜海涛", SubjectKind.LEGAL),
        ("93", "MA3CFH05", "乳山市夏村镇丰收苹果种植专业合作社", "孙立新", SubjectKind.LEGAL),
        ("92", "MA3CLJ06", "乳山市南黄镇李记海鲜饭店", "李玉兰", SubjectKind.INDIVIDUAL_BUSINESS),
    ]
    for prefix, body, name, representative, kind in wrong:
        good = build_uscc(prefix, REGION, body)
        bad = good[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(good[17]) + 7) % len(USCC_ALPHABET)]
        specs.append(
            fixed(factory, prefix, name, body, kind=kind, uscc=bad, strict=False, legal_representative=representative)
        )
    # 疑似错码: position 18 is right for what was entered, but position 17
    # (the organisation-code check) is not — a typo inside the body.
    suspect = [
        ("MA3CHY07", "乳山市银滩海韵酒店管理有限公司", "宫晓燕"),
        ("MA3CHY08", "乳山市大孤山镇宏源石材有限公司", "初振兴"),
    ]
    checks = "0123456789X"
    for body, name, representative in suspect:
        right = org_code_check_char(body)
        first17 = f"91{REGION}{body}{checks[(checks.index(right) + 3) % len(checks)]}"
        code = first17 + stdnum_uscc.calc_check_digit(first17)
        specs.append(fixed(factory, "91", name, body, uscc=code, legal_representative=representative))
    return specs
