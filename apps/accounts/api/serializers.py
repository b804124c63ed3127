from rest_framework import serializers

from ..models import Department, Power


class PowerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Power
        fields = ("code", "name")


class DepartmentSerializer(serializers.ModelSerializer):
    """The public directory: no people, only the agency and what it may decide."""

    powers = PowerSerializer(many=True, read_only=True)

    class Meta:
        model = Department
        fields = ("code", "name", "uscc", "region_code", "powers")
