"""The black lists seed 001's scoring table names that the platform did not have (issue 17, item 8).

The 市场主体黑名单清理 line of 邹政办字〔2022〕7号 counts ten lists; five were missing: 出入境严重失信企业,
海关失信认证企业, 电子商务黑名单, 严重质量失信 and 证券期货领域违法失信. The rows are frozen here (not read
from fixtures/list_types.json, which 0002 loads): a later edit of a fixture file must not change what this
migration did. Each row carries its national instrument (``legal_basis``) and the seed line that asks for
it (the new ``source`` field). They are added by code, never by id, so an installation whose staff have
added list types of their own keeps them; an existing row with the same code or name is left as edited.

Recognising departments differ per county and are assigned by the credit center in the admin; until then
no department can put a subject on these lists (``list_entry_validate``). Validity is left open (until
removed) where the instrument sets no fixed term that we could verify.
"""

from django.db import migrations, models

SOURCE = "邹政办字〔2022〕7号《邹城市创建山东省社会信用体系建设典型城市实施方案》评分表“市场主体黑名单清理”"
EFFECTIVE = "2022-03-15"  # the seed's date of issue

ROWS = [
    {
        "code": "entry_exit_serious",
        "name": "出入境检验检疫严重失信企业",
        "legal_basis": "《出入境检验检疫企业信用管理办法》（原国家质量监督检验检疫总局）；"
        "2018年出入境检验检疫管理职责划入海关后按海关企业信用管理有关规定执行",
        "recogniser_note": "海关（原出入境检验检疫部门）",
        "sort_order": 8,
    },
    {
        "code": "customs_dishonest",
        "name": "海关失信企业",
        "legal_basis": "《中华人民共和国海关注册登记和备案企业信用管理办法》（海关总署令第251号）；"
        "《关于对海关失信企业实施联合惩戒的合作备忘录》（国家发展改革委等33部门，2017年）",
        "recogniser_note": "海关",
        "sort_order": 9,
    },
    {
        "code": "ecommerce_blacklist",
        "name": "电子商务领域炒信黑名单",
        "legal_basis": "《关于对电子商务及分享经济领域炒信行为相关失信主体实施联合惩戒的行动计划》"
        "（国家发展改革委等8部门，2016年）",
        "recogniser_note": "商务、市场监督管理部门",
        "sort_order": 10,
    },
    {
        "code": "quality_serious",
        "name": "严重质量违法失信当事人",
        "legal_basis": "《关于对严重质量违法失信行为当事人实施联合惩戒的合作备忘录》（国家发展改革委等部门）",
        "recogniser_note": "市场监督管理部门",
        "sort_order": 11,
    },
    {
        "code": "securities_futures",
        "name": "证券期货市场严重违法失信主体",
        "legal_basis": "《证券期货市场诚信监督管理办法》（中国证券监督管理委员会令）",
        "recogniser_note": "证券监督管理部门",
        "sort_order": 12,
    },
]


def add_list_types(apps, schema_editor):
    ListType = apps.get_model("lists", "ListType")
    for row in ROWS:
        if ListType.objects.filter(models.Q(code=row["code"]) | models.Q(name=row["name"])).exists():
            continue
        ListType.objects.create(
            **row,
            color="black",
            source=SOURCE,
            validity_months=None,
            repairable=True,
            repair_note="",
            triggers_measures=True,
            is_public=True,
            effective_from=EFFECTIVE,
            is_active=True,
        )


def remove_list_types(apps, schema_editor):
    # Only rows nobody has used: an entry on one of these lists keeps its list type (PROTECT).
    ListType = apps.get_model("lists", "ListType")
    ListType.objects.filter(code__in=[r["code"] for r in ROWS], source=SOURCE, entries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("lists", "0005_list_entries_own_validity")]

    operations = [
        migrations.AddField(
            model_name="listtype",
            name="source",
            field=models.CharField(
                blank=True, help_text="要求设立该名单的文件及条目", max_length=200, verbose_name="来源"
            ),
        ),
        migrations.RunPython(add_list_types, remove_list_types),
    ]
