from django.db import models


class DeclarationKind(models.TextChoices):
    """What a subject may declare (文登 #9: 资质证照、市场经营、合同履行、社会公益; issue 17: 荣誉)."""

    QUALIFICATION = "qualification", "资质证照"
    HONOUR = "honour", "荣誉表彰"
    CONTRACT = "contract", "合同履约"
    OPERATION = "operation", "市场经营"
    PUBLIC_INTEREST = "public_interest", "社会公益"


class DeclarationStatus(models.TextChoices):
    PENDING = "pending", "自主申报（未核实）"
    VERIFIED = "verified", "自主申报（已核实）"
    REJECTED = "rejected", "核实未通过"


# The statuses shown to the public: a declaration is public from the moment it is made, marked 未核实,
# until a department verifies it; a rejected one leaves every public view.
PUBLIC_STATUSES = (DeclarationStatus.PENDING, DeclarationStatus.VERIFIED)
