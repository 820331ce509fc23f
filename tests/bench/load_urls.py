"""The portal's URLs plus a bare page for the load test to compare with: a plain Django view
that renders 20 organisations from one query, behind the same middleware and login."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from registry.models import Organisation
from zhenhai_so.urls import urlpatterns as portal

TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>baseline</title><table>"
    "{% for o in rows %}<tr><td>{{ o.name }}</td><td>{{ o.credit_code }}</td>"
    "<td>{{ o.registered_on }}</td></tr>{% endfor %}</table>"
)


def baseline(request):
    rows = list(Organisation.objects.only("name", "credit_code", "registered_on")[:20])
    return HttpResponse(TEMPLATE.render({"rows": rows}, request))


urlpatterns = [path("bench/baseline/", baseline, name="bench_baseline"), *portal]
