from django.conf import settings
from django.urls import reverse

from .choices import Role

# (label, url name, roles that see it). Order is the order in the menu.
_NAV = [
    ("工作台", "accounts:home", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN, Role.SUBJECT}),
    ("信用信息", "records:list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("批量导入", "records_upload:list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("信用核查", "credit_checks:home", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("核查与名单指标", "credit_checks:figures", {Role.CENTER, Role.ADMIN}),
    ("数据导出", "records_export:index", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("省市平台交换", "exchange:index", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("报送情况", "monitoring:my", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("月度排名", "monitoring:ranking", {Role.CENTER, Role.ADMIN}),
    ("考核指标", "monitoring:dashboard", {Role.CENTER, Role.ADMIN}),
    ("红黑名单", "lists:entries", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("奖惩措施", "lists:measures", {Role.CENTER, Role.ADMIN}),
    ("信用主体", "subjects:list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("重错码", "subjects:code_quality", {Role.CENTER, Role.ADMIN}),
    ("工作日历", "workdays:overrides", {Role.CENTER, Role.ADMIN}),
    ("主体认领审核", "accounts:claim_review", {Role.CENTER, Role.ADMIN}),
    ("部门", "accounts:department_list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("用户管理", "accounts:user_list", {Role.ADMIN}),
    ("审计日志", "audit:log", {Role.CENTER, Role.ADMIN}),
    ("我的主体认领", "accounts:claim_list", {Role.SUBJECT}),
    ("双随机抽查", "evaluation:tasks", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("评价模型", "evaluation:model", {Role.CENTER, Role.ADMIN}),
    ("信用承诺", "commitments:staff_list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("自主申报核实", "declarations:review_list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("信易+ 与信易贷", "scenarios:figures", {Role.CENTER, Role.ADMIN}),
    ("我的信用等级", "evaluation:my_grade", {Role.SUBJECT}),
    ("我的信用承诺", "commitments:my", {Role.SUBJECT}),
    ("我的自主申报", "declarations:my", {Role.SUBJECT}),
    ("信易+", "scenarios:my", {Role.SUBJECT}),
    ("信易贷融资", "scenarios:my_loans", {Role.SUBJECT}),
    ("我的信用信息", "repair:my", {Role.SUBJECT}),
    ("信用修复", "repair:list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN, Role.SUBJECT}),
    ("异议处理", "repair:objections", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN, Role.SUBJECT}),
    ("修复与异议指标", "repair:figures", {Role.CENTER, Role.ADMIN}),
    ("信用修复告知书", "repair:notices", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN}),
    ("消息中心", "notifications:list", {Role.CLERK, Role.REVIEWER, Role.CENTER, Role.ADMIN, Role.SUBJECT}),
    ("门户文章", "portal:article_manage", {Role.CENTER, Role.ADMIN}),
]


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        role = Role.ADMIN if user.is_superuser else user.role
        items = [{"label": label, "url": reverse(name)} for label, name, roles in _NAV if role in roles]
    # ``portal_name``, not ``site_name``: Django's auth views put their own ``site_name`` (the request's
    # host, "127.0.0.1:8101", when django.contrib.sites is not installed) into the context, and a view's
    # context wins over a context processor — the login page named the server instead of the site.
    return {"nav_items": items, "portal_name": settings.SITE_NAME, "region_name": settings.PLATFORM_REGION_NAME}
