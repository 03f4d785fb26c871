from django.contrib.auth import views as auth_views
from django.urls import path

from consultations.views import (
    agenda,
    attention,
    booking,
    catalogs,
    consultations,
    deliveries,
    directory,
    home,
    join,
    patient_rights,
    provider_day,
    sandbox,
    status,
    webhooks,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", home.health, name="health"),
    path("kairo/webhooks/", webhooks.kairo_webhook, name="kairo_webhook"),
    path("j/<str:token>", join.join_page, name="join_page"),
    path("j/<str:token>/join", join.join_press, name="join_press"),
    path(
        "consultations/<int:pk>/join-links/reissue/",
        join.consultation_join_links_reissue,
        name="consultation_join_links_reissue",
    ),
    path("catalogs/", catalogs.catalogs, name="catalogs"),
    path("attention/", attention.attention, name="attention"),
    path(
        "attention/webhooks/<int:pk>/handled/",
        attention.webhook_delivery_handled,
        name="webhook_delivery_handled",
    ),
    path("consultations/status.json", status.consultation_status, name="consultation_status"),
    path("agenda/", agenda.agenda, name="agenda"),
    path("consultations/", consultations.consultation_list, name="consultation_list"),
    path("consultations/new/", booking.consultation_new, name="consultation_new"),
    path("consultations/<int:pk>/", booking.consultation_detail, name="consultation_detail"),
    path("consultations/<int:pk>/booked/", booking.consultation_result, name="consultation_result"),
    path(
        "consultations/<int:pk>/refresh/", booking.consultation_refresh, name="consultation_refresh"
    ),
    path("consultations/<int:pk>/cancel/", booking.consultation_cancel, name="consultation_cancel"),
    path(
        "consultations/rehearse-lost-answer/",
        sandbox.rehearsal_lose_answer,
        name="rehearsal_lose_answer",
    ),
    path(
        "consultations/<int:pk>/simulate/",
        sandbox.consultation_simulate,
        name="consultation_simulate",
    ),
    path(
        "consultations/<int:pk>/resend/", deliveries.consultation_resend, name="consultation_resend"
    ),
    path(
        "consultations/<int:pk>/emails.json",
        deliveries.consultation_emails_status,
        name="consultation_emails_status",
    ),
    path("consultations/provider-day/", provider_day.provider_day_fragment, name="provider_day"),
    path("patients/search.json", booking.patient_search, name="patient_search"),
    path("patients/on-file/", directory.patient_on_file, name="patient_on_file"),
    path("consultations/export.csv", consultations.consultation_export, name="consultation_export"),
    path("patients/", directory.patient_list, name="patient_list"),
    path("patients/new/", directory.patient_new, name="patient_new"),
    path("patients/<int:pk>/", directory.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", directory.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/data.json", patient_rights.patient_data_json, name="patient_data_json"),
    path("patients/<int:pk>/data.zip", patient_rights.patient_data_csv, name="patient_data_csv"),
    path("patients/<int:pk>/withdraw/", patient_rights.patient_withdraw, name="patient_withdraw"),
    path(
        "patients/<int:pk>/anonymize/", patient_rights.patient_anonymize, name="patient_anonymize"
    ),
    path("providers/", directory.provider_list, name="provider_list"),
    path("providers/new/", directory.provider_new, name="provider_new"),
    path("providers/<int:pk>/", directory.provider_detail, name="provider_detail"),
    path("providers/<int:pk>/edit/", directory.provider_edit, name="provider_edit"),
]
