from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        from auditlog.registry import auditlog

        from registry.tabs import OrganisationTab, register_tab
        from zhenhai_so.menu import MenuItem, register

        from . import models, views

        for model in (models.Evaluation, models.Score, models.Review, models.IndicatorSystem):
            auditlog.register(model, exclude_fields=["version", "created_at", "updated_at"])

        view = "evaluation.view_evaluation"
        register(
            MenuItem("evaluation", _("Evaluations"), "evaluation:evaluation_list", "award",
                     view, 10),
            MenuItem("evaluation", _("Grade distribution"), "evaluation:distribution",
                     "bar-chart", view, 20),
            MenuItem("evaluation", _("Grades expiring"), "evaluation:expiring", "hourglass-split",
                     view, 30),
            MenuItem("evaluation", _("Never evaluated"), "evaluation:never_evaluated",
                     "question-circle", view, 40),
            MenuItem("evaluation", _("Indicator systems"), "evaluation:system_list", "list-ol",
                     "evaluation.view_indicatorsystem", 90),
        )  # fmt: skip
        register_tab(
            OrganisationTab("evaluations", _("Evaluations"), "evaluation/tabs/evaluations.html",
                            views.organisation_tab, view, 40)
        )  # fmt: skip
