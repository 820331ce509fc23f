from django.core.paginator import Paginator

PAGE_SIZES = (20, 50, 100)


def paginate(request, queryset, per_page: int = 20, count: int | None = None):
    """A page of the queryset for ``?page=`` (invalid or out-of-range numbers give the nearest
    page rather than an error), honouring ``?per_page=`` from the allowed sizes. ``count``, when
    the caller knows it already, spares the COUNT query."""
    try:
        size = int(request.GET.get("per_page", per_page))
    except ValueError:
        size = per_page
    if size not in PAGE_SIZES:
        size = per_page
    paginator = Paginator(queryset, size)
    if count is not None:
        paginator.count = count  # a cached_property: the instance value wins
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
