from rest_framework import serializers


class VerifyQuerySerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40, help_text="报告编号")
    code = serializers.CharField(max_length=20, help_text="验证码")


class VerifyResultSerializer(serializers.Serializer):
    verified = serializers.BooleanField(help_text="报告真实且内容与出具时一致")
    status = serializers.ChoiceField(choices=["verified", "refused", "altered"])
    detail = serializers.CharField()
    number = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)
    issued_at = serializers.DateTimeField(required=False)
    subject_name = serializers.CharField(required=False)
    subject_code = serializers.CharField(required=False, help_text="统一社会信用代码，或脱敏的身份证号码")
    snapshot_hash = serializers.CharField(required=False, help_text="报告内容快照的 SHA-256")
    content = serializers.JSONField(required=False, help_text="报告出具时的内容（个人证件号码已脱敏）")
