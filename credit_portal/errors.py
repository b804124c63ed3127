"""Error pages in Chinese, inside the site's layout; the API answers in JSON even when no API view was reached.

Django's own pages (``django.views.defaults``, the CSRF failure page) are in
English and outside the layout; every status a user can meet from a link gets
a page here instead. A 403 keeps its reason — our ``PermissionDenied`` messages
are written for the user ("本部门不具有该类信息的报送职权。"); the 404 and 400
exceptions' own texts are framework English (``No Record matches the given
query.``, ``Invalid HTTP_HOST header``) and are not shown.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

# What each status means to the person who met it; ``reason`` below adds the specific cause where one is known.
PAGES = {
    400: ("请求有误", "请求的内容不完整或格式不对。请回到上一页重新填写后再试。"),
    403: ("无权访问", "您的账号没有访问此页面或执行此操作的权限。"),
    404: ("页面不存在", "您访问的页面不存在，或信息已撤下、不再公开。请检查地址，或从首页重新查找。"),
    500: ("系统繁忙", "平台暂时无法完成您的请求，工作人员已收到错误记录。请稍后再试；如多次出现，请联系信用中心。"),
}
CSRF_REASON = "页面已过期或表单提交来源无法验证（可能停留时间过长、浏览器禁用了 Cookie，或从其他网站提交）。请刷新页面后重新提交。"


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _page(request, status: int, reason: str = ""):
    title, text = PAGES[status]
    if _wants_json(request):
        return JsonResponse({"detail": reason or title}, status=status)
    context = {"status": status, "title": title, "text": text, "reason": reason}
    return render(request, "errors/error.html", context, status=status)


def bad_request(request, exception=None):
    return _page(request, 400)


def permission_denied(request, exception=None):
    reason = str(exception) if exception is not None and exception.args else ""
    return _page(request, 403, reason)


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "未找到。"}, status=404)
    return _page(request, 404)


def csrf_failure(request, reason=""):
    return _page(request, 403, CSRF_REASON)


def server_error(request):
    """Rendered without the request's context processors: they may need the database that just failed."""
    title, text = PAGES[500]
    if _wants_json(request):
        return JsonResponse({"detail": title}, status=500)
    html = loader.get_template("errors/500.html").render(
        {"title": title, "text": text, "portal_name": settings.SITE_NAME, "region_name": settings.PLATFORM_REGION_NAME}
    )
    return HttpResponse(html, status=500)
