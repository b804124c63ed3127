from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from ..filtersets import DepartmentFilterSet
from ..models import Department
from .serializers import DepartmentSerializer


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """部门目录（公开）：名称、代码、统一社会信用代码、职权。"""

    queryset = Department.objects.filter(is_active=True).prefetch_related("powers").order_by("code")
    serializer_class = DepartmentSerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    # A directory of a few dozen departments kept by the center: one unpaginated list, but still under the
    # public statement timeout (credit_portal/public_queries.py).
    public_query = True
    filterset_class = DepartmentFilterSet
    lookup_field = "code"
    pagination_class = None
