"""Credit-check API bodies. The response serializers document the answer stored in ``CreditCheck.result``."""

from rest_framework import serializers

from ..models import Matter


class CreditCheckRequestSerializer(serializers.Serializer):
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="统一社会信用代码、身份证号码或工商注册号、组织机构代码等旧代码（全角、空格、小写均可）",
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="主体全称（精确匹配）；提供 code 时忽略"
    )
    matter = serializers.CharField(max_length=40, help_text="办理事项代码，如 `bidding`（招标投标）")

    def validate_matter(self, value):
        matter = Matter.objects.filter(code=value.strip()).first()
        if matter is None:
            codes = "、".join(f"{code}（{name}）" for code, name in Matter.objects.values_list("code", "name"))
            raise serializers.ValidationError(f"事项代码“{value}”不存在。可选的事项代码：{codes}。")
        return matter

    def validate(self, attrs):
        code, name = (attrs.get("code") or "").strip(), (attrs.get("name") or "").strip()
        if not code and not name:
            raise serializers.ValidationError({"code": ["请提供主体代码 code 或主体名称 name。"]})
        attrs["query"], attrs["lookup"] = (code, "code") if code else (name, "name")
        return attrs


class CheckSubjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="legal / individual_business / person")
    kind_display = serializers.CharField()
    public_code = serializers.CharField(help_text="统一社会信用代码；自然人为脱敏的身份证号码")
    legal_representative = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    status_display = serializers.CharField()


class CandidateSerializer(serializers.Serializer):
    name = serializers.CharField()
    public_code = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    status = serializers.CharField()


class ListMembershipSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    list_type = serializers.CharField()
    list_type_name = serializers.CharField()
    color = serializers.ChoiceField(choices=["red", "black", "watch"])
    color_display = serializers.CharField()
    department = serializers.CharField(help_text="认定部门")
    recognised_on = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True, help_text="空为直至移出")
    legal_basis = serializers.CharField()
    reason = serializers.CharField(allow_blank=True, help_text="列入事由")
    decision_number = serializers.CharField(help_text="认定文书号")
    legal_representative = serializers.CharField(allow_blank=True)
    triggers_measures = serializers.BooleanField()


class LegalRepMembershipSerializer(ListMembershipSerializer):
    organisation = serializers.CharField(help_text="该自然人担任法定代表人的在列主体名称")
    organisation_code = serializers.CharField(allow_blank=True, help_text="该主体的统一社会信用代码")


class PublicRecordBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    type_name = serializers.CharField()
    decision_number = serializers.CharField()
    decision_date = serializers.DateField()
    department = serializers.CharField()
    publicity_end = serializers.DateField(allow_null=True)


class TriggerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    color = serializers.CharField()


class ApplicableMeasureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["reward", "punishment"])
    kind_display = serializers.CharField()
    content = serializers.CharField(allow_blank=True)
    legal_basis = serializers.CharField()
    implementing_department = serializers.CharField()
    version = serializers.IntegerField()
    triggered_by = TriggerSerializer(many=True, help_text="触发该措施的在列名单")


class MatterBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CountsSerializer(serializers.Serializer):
    black = serializers.IntegerField()
    watch = serializers.IntegerField()
    red = serializers.IntegerField()
    records = serializers.IntegerField()
    measures = serializers.IntegerField()


class CreditCheckResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="核查编号，反馈时使用")
    created_at = serializers.DateTimeField()
    channel = serializers.CharField()
    query = serializers.CharField(help_text="查询内容（身份证号码已脱敏）")
    found = serializers.BooleanField()
    message = serializers.CharField()
    checked_on = serializers.DateField()
    matter = MatterBriefSerializer()
    subject = CheckSubjectSerializer(allow_null=True)
    candidates = CandidateSerializer(many=True, help_text="按名称查询到多个同名主体时的候选")
    lists = ListMembershipSerializer(many=True, help_text="在列名单（已移出、已过有效期、已信用修复的不列）")
    records = PublicRecordBriefSerializer(many=True, help_text="公示期内的信用记录（最多 50 条）")
    records_total = serializers.IntegerField()
    grade = serializers.CharField(allow_null=True, help_text="公共信用综合评价等级；评价模块上线前为 null")
    measures = ApplicableMeasureSerializer(many=True, help_text="本事项适用的奖惩措施（已去重）")
    counts = CountsSerializer()
    as_legal_representative = LegalRepMembershipSerializer(
        many=True,
        required=False,
        help_text="作为法定代表人：查询对象为自然人时，其担任法定代表人的主体在列的名单（按证件号码比对；不计入 counts，不触发 measures）",
    )


class FeedbackItemSerializer(serializers.Serializer):
    measure = serializers.CharField(max_length=20, help_text="措施编号，如 CJ-01（须为本次核查返回的措施）")
    implemented = serializers.BooleanField(help_text="是否已实施")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="未实施原因（未实施时必填）或实施情况"
    )

    def validate(self, attrs):
        if not attrs["implemented"] and not (attrs.get("reason") or "").strip():
            raise serializers.ValidationError({"reason": ["措施未实施的，必须填写原因。"]})
        return attrs


class FeedbackRequestSerializer(serializers.Serializer):
    items = FeedbackItemSerializer(many=True, allow_empty=False)


class FeedbackResultItemSerializer(serializers.Serializer):
    measure = serializers.CharField()
    implemented = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class FeedbackResponseSerializer(serializers.Serializer):
    check_id = serializers.IntegerField()
    items = FeedbackResultItemSerializer(many=True, help_text="本次核查已有的全部反馈")
    complete = serializers.BooleanField(help_text="返回的每项措施是否都已反馈")


class ChecksFigureSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    found = serializers.IntegerField()
    by_channel = serializers.DictField(child=serializers.IntegerField())
    market_subjects = serializers.IntegerField(help_text="在营市场主体（企业等组织及个体工商户，不含机关、事业单位）")
    ratio = serializers.FloatField(allow_null=True)
    target = serializers.CharField()
    met = serializers.BooleanField()
    score = serializers.FloatField()
    max_score = serializers.FloatField()


class SeriousFigureSerializer(serializers.Serializer):
    subjects = serializers.IntegerField(help_text="在列严重失信主体名单的在营市场主体")
    subjects_all_kinds = serializers.IntegerField(help_text="在列严重失信主体名单的全部主体（含自然人、非在营）")
    operating_market_subjects = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    target = serializers.CharField()
    met = serializers.BooleanField()
    score = serializers.FloatField()
    max_score = serializers.FloatField()


class _ListTypeCountSerializer(serializers.Serializer):
    list_type = serializers.CharField()
    list_type_name = serializers.CharField()
    color = serializers.CharField()
    entries = serializers.IntegerField()


class EntriesByTypeDepartmentSerializer(_ListTypeCountSerializer):
    department = serializers.CharField()


class EntriesByTypeSerializer(_ListTypeCountSerializer):
    subjects = serializers.IntegerField()


class FeedbackFigureSerializer(serializers.Serializer):
    checks_with_measures = serializers.IntegerField()
    checks_with_feedback = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class FiguresSerializer(serializers.Serializer):
    on = serializers.DateField()
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    checks = ChecksFigureSerializer()
    serious_dishonesty = SeriousFigureSerializer()
    entries_by_type_department = EntriesByTypeDepartmentSerializer(many=True)
    entries_by_type = EntriesByTypeSerializer(many=True)
    feedback = FeedbackFigureSerializer()


class FiguresQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text="核查起始日（含），默认不限")
    date_to = serializers.DateField(required=False, help_text="核查截止日（含），默认不限")

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["截止日不能早于起始日。"]})
        return attrs
