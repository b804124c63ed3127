"""Believable subjects of 乳山市 (371083) for the demo data: names, codes and ID numbers that pass every check.

``SubjectFactory`` makes the random specs ``manage.py seed_demo`` stores (the fixed ones — departments, the
demo accounts' subjects, planted 重错码 — are in ``demo_fixed.py``); it is out of the command so the command
reads as the steps it takes.
"""

import datetime
import json
import random
import unicodedata
from dataclasses import dataclass, field

from django.core.management.base import CommandError
from stdnum.cn import ric as stdnum_ric
from stdnum.iso7064 import mod_11_10

from apps.subjects.choices import OperatingStatus, PublicBody, SubjectKind
from apps.subjects.codes import USCC_ALPHABET, build_uscc, org_code_check_char

REGION = "371083"

# Address codes on ID cards held in 乳山: mostly today's 371083, but also the
# retired 乳山县 codes (370630 until 1987, 371021 until 1993), 文登市 371081
# (retired 2014) and neighbouring counties. A retired code is still valid.
ID_AREAS = [
    ("371083", 60),
    ("371021", 6),
    ("370630", 3),
    ("371081", 7),
    ("371002", 6),
    ("371003", 5),
    ("371082", 4),
    ("370687", 4),
    ("370682", 2),
    ("370285", 1),
    ("370214", 1),
    ("230103", 1),
]
ID_AREA_CHOICES = tuple(zip(*ID_AREAS, strict=True))
EARLY_AREAS = {"371021": 1987, "370630": 1981}  # latest plausible birth year on a card with that code

# Old (pre-2015) organisation-code bodies: 8 digits; these leads are common in 山东.
OLD_BODY_LEADS = ["16", "26", "56", "66", "67", "68", "69", "70", "72", "74", "75", "76", "77", "78", "79", "05", "06"]
# New-era bodies assigned with the USCC: a two-letter block then six characters.
NEW_BODY_BLOCKS = ["3C", "3D", "3M", "3N", "3P", "3Q", "3R", "3T", "3U", "3W", "7D", "7E", "7F", "CC", "CF", "DH"]

# Random subject mix: (builder, relative weight). Rare kinds also have fixed
# anchors below so every kind exists even with a small --subjects.
KIND_WEIGHTS = [
    ("enterprise", 400),
    ("individual", 220),
    ("person", 200),
    ("cooperative", 50),
    ("institution", 30),
    ("village_collective", 30),
    ("residents_committee", 20),
    ("social_group", 15),
    ("nonprofit", 12),
    ("foundation", 2),
    ("township_collective", 3),
    ("law_firm", 4),
    ("other_y", 3),
    ("military_a", 1),
]

STATUS_PROFILES = {
    "enterprise": [
        (OperatingStatus.OPERATING, 88),
        (OperatingStatus.CANCELLED, 7),
        (OperatingStatus.REVOKED, 4),
        (OperatingStatus.MOVED_OUT, 1),
    ],
    "individual": [(OperatingStatus.OPERATING, 80), (OperatingStatus.CANCELLED, 15), (OperatingStatus.REVOKED, 5)],
    "organisation": [(OperatingStatus.OPERATING, 96), (OperatingStatus.CANCELLED, 4)],
}


@dataclass
class Spec:
    """One subject to seed, before normalisation."""

    kind: str
    name: str
    uscc: str = ""
    id_number: str | None = None
    strict: bool = True
    fields: dict = field(default_factory=dict)


def load_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def with_check(stem: str) -> str:
    """A 15-digit 工商注册号 / 14-digit stem + ISO 7064 MOD 11,10 check digit."""
    return stem + mod_11_10.calc_check_digit(stem)


def id_number(first17: str) -> str:
    return first17 + stdnum_ric.calc_check_digit(first17 + "0")


class SubjectFactory:
    """Deterministic generator: the same seed gives the same subjects, in the same order."""

    def __init__(self, rng: random.Random, words: dict):
        self.rng = rng
        self.words = words
        self.bodies: set[str] = set()
        self.names: set[str] = set()
        self.id_numbers: set[str] = set()
        self.numbers: set[str] = set()
        self.serials: dict[str, int] = {}
        self.surnames, self.surname_weights = zip(*words["surnames"], strict=True)
        self.industries, self.industry_weights = zip(*words["industries"], strict=True)
        self.forms, self.form_weights = zip(*words["company_forms"], strict=True)
        self.prefixes, self.prefix_weights = zip(*words["company_prefixes"], strict=True)

    # --- building blocks ---------------------------------------------------------

    def weighted(self, population, weights):
        return self.rng.choices(population, weights)[0]

    def claim(self, registry: set, value: str) -> str:
        if value in registry:
            raise CommandError(f"演示数据内部冲突：{value} 重复")
        registry.add(value)
        return value

    def new_body(self, block: str | None = None) -> str:
        """A new-era organisation body (letters allowed), unique among the seeded codes."""
        while True:
            lead = "M" + block if block else "MA" + self.rng.choice(NEW_BODY_BLOCKS)
            body = lead + "".join(self.rng.choice(USCC_ALPHABET) for _ in range(8 - len(lead)))
            if body not in self.bodies:
                self.bodies.add(body)
                return body

    def old_body(self, leads=OLD_BODY_LEADS) -> str:
        """A pre-2015 organisation-code body: 8 digits."""
        while True:
            body = self.rng.choice(leads) + f"{self.rng.randrange(10**6):06d}"
            if body not in self.bodies:
                self.bodies.add(body)
                return body

    def unique_number(self, make) -> str:
        while True:
            number = make()
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def serial(self, series: str, start: int) -> int:
        """Certificate numbers run upwards with small gaps (cancelled numbers), so they never collide."""
        self.serials[series] = self.serials.get(series, start) + self.rng.randint(1, 3)
        return self.serials[series]

    def unique_name(self, make, fallback=None) -> str:
        for _ in range(40):
            name = make()
            if name not in self.names:
                self.names.add(name)
                return name
        if fallback is None:
            raise CommandError("演示数据名称组合已用尽，请减少 --subjects")
        return self.unique_name(fallback)

    def surname(self) -> str:
        return self.weighted(self.surnames, self.surname_weights)

    def given_name(self, male: bool) -> str:
        chars = self.words["given_male" if male else "given_female"]
        first = self.rng.choice(chars)
        return first if self.rng.random() < 0.25 else first + self.rng.choice(chars)

    def person_name(self, male: bool | None = None) -> str:
        male = self.rng.random() < 0.55 if male is None else male
        return self.surname() + self.given_name(male)

    def brand(self) -> str:
        return self.rng.choice(self.words["brand_first"]) + self.rng.choice(self.words["brand_second"])

    def town(self) -> str:
        return self.rng.choice(self.words["towns"])

    def village(self) -> str:
        words = self.words
        if self.rng.random() < 0.5:
            return self.surname() + self.rng.choice(words["village_suffixes"]) + "村"
        return self.rng.choice(words["village_prefixes"]) + self.rng.choice(words["village_bodies"]) + "村"

    def status(self, profile: str) -> str:
        choices, weights = zip(*STATUS_PROFILES[profile], strict=True)
        return self.weighted(choices, weights)

    # --- subject kinds -----------------------------------------------------------

    def org(self, prefix: str, name: str, body: str, *, kind=SubjectKind.LEGAL, profile="organisation", **fields):
        fields.setdefault("status", self.status(profile))
        return Spec(kind=kind, name=name, uscc=build_uscc(prefix, REGION, body), fields=fields)

    def enterprise(self) -> Spec:
        def make():
            prefix = self.weighted(self.prefixes, self.prefix_weights)
            form = self.weighted(self.forms, self.form_weights)
            if "分公司" in form and prefix.startswith("乳山"):
                form = "有限公司"
            return f"{prefix}{self.brand()}{self.weighted(self.industries, self.industry_weights)}{form}"

        name = self.unique_name(make)
        fields = {"legal_representative": self.person_name()}
        if self.rng.random() < 0.35:
            # Registered before the 2015 reform: the old organisation code is the
            # USCC body, and the 工商注册号 / 税务登记号 are still on file.
            body = self.old_body()
            org_code = body + org_code_check_char(body)
            fields["organization_code"] = org_code
            fields["tax_number"] = REGION + org_code
            fields["registration_number"] = self.unique_number(
                lambda: with_check(f"{REGION}2{self.rng.randrange(10**7):07d}")
            )
        else:
            body = self.new_body()
        return self.org("91", name, body, profile="enterprise", **fields)

    def individual(self) -> Spec:
        male = self.rng.random() < 0.55
        surname, given = self.surname(), self.given_name(male)

        def make():
            town = self.town()
            place = "城区" if town == "城区街道" else town
            roll = self.rng.random()
            if roll < 0.5:
                style = f"{surname}记"
            elif roll < 0.65:
                style = f"老{surname}家"
            elif roll < 0.8 and len(given) == 2:
                style = given
            else:
                style = self.brand()
            return f"乳山市{place}{style}{self.rng.choice(self.words['shop_kinds'])}"

        name = self.unique_name(make)
        fields = {"legal_representative": surname + given}
        if self.rng.random() < 0.4:
            fields["registration_number"] = self.unique_number(
                lambda: with_check(f"{REGION}600{self.rng.randrange(10**5):05d}")
            )
        return self.org(
            "92", name, self.new_body(), kind=SubjectKind.INDIVIDUAL_BUSINESS, profile="individual", **fields
        )

    def cooperative(self) -> Spec:
        def make():
            town = self.town()
            place = "城区街道" if town == "城区街道" else town
            return f"乳山市{place}{self.brand()}{self.rng.choice(self.words['coop_products'])}专业合作社"

        return self.org(
            "93", self.unique_name(make), self.new_body(), profile="enterprise", legal_representative=self.person_name()
        )

    def institution(self) -> Spec:
        fixed = [n for n in self.words["institutions_fixed"] if n not in self.names]

        def make():
            if fixed and self.rng.random() < 0.3:
                return self.rng.choice(fixed)
            return f"乳山市{self.town()}{self.rng.choice(self.words['institution_town_kinds'])}"

        name = self.unique_name(make, fallback=lambda: f"乳山市{self.town()}{self.brand()}服务中心")
        body = self.old_body(["49", "41", "42"])
        return self.org(
            "12",
            name,
            body,
            legal_representative=self.person_name(),
            organization_code=body + org_code_check_char(body),
            institution_number=f"1{REGION}{self.serial('事证', 0):05d}",
            public_body=PublicBody.INSTITUTION,
        )

    def village_collective(self) -> Spec:
        name = self.unique_name(lambda: f"乳山市{self.town()}{self.village()}股份经济合作社")
        return self.org("N2", name, self.new_body("F"), legal_representative=self.person_name())

    def township_collective(self) -> Spec:
        name = self.unique_name(
            lambda: f"乳山市{self.town()}经济联合总社",
            fallback=lambda: f"乳山市{self.town()}{self.brand()}农村经济合作联合社",
        )
        return self.org("N3", name, self.new_body("F"), legal_representative=self.person_name())

    def residents_committee(self) -> Spec:
        def make():
            if self.rng.random() < 0.85:
                return f"乳山市{self.town()}{self.village()}村民委员会"
            return f"乳山市城区街道{self.rng.choice(self.words['communities'])}社区居民委员会"

        name = self.unique_name(make, fallback=lambda: f"乳山市{self.town()}{self.village()}村民委员会")
        return self.org("54", name, self.new_body("E"), legal_representative=self.person_name())

    def social_group(self) -> Spec:
        words = self.words

        def make():
            if self.rng.random() < 0.75:
                return (
                    f"乳山市{self.rng.choice(words['association_topics'])}{self.rng.choice(words['association_forms'])}"
                )
            if self.rng.random() < 0.5:
                return f"乳山市{self.rng.choice(words['chambers'])}"
            town = self.town()
            return f"乳山市{'城区' if town == '城区街道' else town}商会"

        return self.org(
            "51",
            self.unique_name(make, fallback=lambda: f"乳山市{self.brand()}文化交流协会"),
            self.new_body("J"),
            legal_representative=self.person_name(),
            social_org_number=f"乳社证字第{self.serial('乳社证', 1):04d}号",
        )

    def nonprofit(self) -> Spec:
        def make():
            return f"乳山市{self.brand()}{self.rng.choice(self.words['nonprofit_kinds'])}"

        return self.org(
            "52",
            self.unique_name(make),
            self.new_body("J"),
            legal_representative=self.person_name(),
            social_org_number=f"乳民证字第{self.serial('乳民证', 2):04d}号",
        )

    def foundation(self) -> Spec:
        name = self.unique_name(
            lambda: self.rng.choice(self.words["foundations"]), fallback=lambda: f"乳山市{self.brand()}公益基金会"
        )
        return self.org(
            "53",
            name,
            self.new_body("J"),
            legal_representative=self.person_name(),
            social_org_number=f"乳基证字第{self.serial('乳基证', 1):03d}号",
        )

    def law_firm(self) -> Spec:
        return self.org(
            "31",
            self.unique_name(lambda: f"山东{self.brand()}律师事务所"),
            self.new_body("D"),
            legal_representative=self.person_name(),
        )

    def other_y(self) -> Spec:
        name = self.unique_name(
            lambda: f"乳山市{self.rng.choice(self.words['estates'])}小区业主委员会",
            fallback=lambda: f"乳山市{self.brand()}小区业主委员会",
        )
        return self.org("Y1", name, self.new_body("C"), legal_representative=self.person_name())

    def military_a(self) -> Spec:
        name = self.unique_name(
            lambda: f"乳山市{self.town()}人民武装部", fallback=lambda: f"乳山市{self.brand()}民兵训练基地"
        )
        return self.org("A1", name, self.new_body("G"), legal_representative=self.person_name())

    def birth_date(self) -> datetime.date:
        start, end = datetime.date(1942, 1, 1), datetime.date(2006, 12, 31)
        span = (end - start).days
        return start + datetime.timedelta(days=int(self.rng.triangular(0, span, span * 0.6)))

    def person(self) -> Spec:
        male = self.rng.random() < 0.52
        name = self.surname() + self.given_name(male)
        while True:
            birth = self.birth_date()
            area = self.weighted(*ID_AREA_CHOICES)
            if area in EARLY_AREAS and birth.year > EARLY_AREAS[area]:
                area = REGION
            # The 17th digit is odd for men, even for women (GB 11643-1999).
            sequence = self.rng.randrange(500) * 2 + (1 if male else 0)
            number = id_number(f"{area}{birth:%Y%m%d}{sequence:03d}")
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return Spec(kind=SubjectKind.PERSON, name=name, id_number=number)

    def random_specs(self, count: int) -> list[Spec]:
        builders, weights = zip(*KIND_WEIGHTS, strict=True)
        return [getattr(self, self.weighted(builders, weights))() for _ in range(count)]
