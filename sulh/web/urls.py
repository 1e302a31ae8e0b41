from django.contrib.auth import views as auth_views
from django.urls import path

from sulh.web import departure_views, door_views, staff_views, verify_views, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/login/"), name="logout"),
    path("intake/", staff_views.intake_new, name="intake_new"),
    path("intake/check/", staff_views.intake_check, name="intake_check"),
    path("search/", staff_views.search, name="search"),
    path("cases/<str:serial>/receipt/", staff_views.receipt, name="receipt"),
    path("queue/", staff_views.queue, name="queue"),
    path("cases/<str:serial>/decide/", staff_views.decide, name="decide"),
    path("cases/<str:serial>/appeal/", staff_views.appeal, name="appeal"),
    path("cases/<str:serial>/handover/", staff_views.child_handover, name="child_handover"),
    path(
        "cases/<str:serial>/candidates/<int:candidate_id>/",
        staff_views.candidate_resolve,
        name="candidate_resolve",
    ),
    path(
        "cases/<str:serial>/decisions/<int:decision_id>/",
        staff_views.second_officer,
        name="second_officer",
    ),
    path("cases/<str:serial>/cards/", staff_views.card_issue, name="card_issue"),
    path("cases/<str:serial>/cards/<str:card_id>/", staff_views.card_action, name="card_action"),
    path("cards/", staff_views.cards, name="cards"),
    path("cards/issue/", staff_views.cards_issue, name="cards_issue"),
    path("cards/print/", staff_views.cards_print, name="cards_print"),
    path("cards/<str:card_id>/card.pdf", staff_views.card_pdf, name="card_pdf"),
    path("dashboard/", staff_views.dashboard, name="dashboard"),
    path("dashboard/bulletin/<str:code>/", staff_views.bulletin_preview, name="bulletin_preview"),
    path("departures/", departure_views.departures, name="departures"),
    path(
        "cases/<str:serial>/departure-order/", departure_views.order_new, name="departure_order_new"
    ),
    path("convoys/", departure_views.convoys, name="convoys"),
    path("convoys/new/", departure_views.convoy_new, name="convoy_new"),
    path("convoys/<int:convoy_id>/", departure_views.convoy_builder, name="convoy_builder"),
    path("convoys/<int:convoy_id>/vehicles/", departure_views.vehicle_add, name="vehicle_add"),
    path("convoys/<int:convoy_id>/escorts/", departure_views.escort_add, name="escort_add"),
    path("convoys/<int:convoy_id>/placements/", departure_views.order_place, name="order_place"),
    path("convoys/<int:convoy_id>/board/", departure_views.convoy_board, name="convoy_board"),
    path("convoys/<int:convoy_id>/departure/", departure_views.convoy_depart, name="convoy_depart"),
    path(
        "convoys/<int:convoy_id>/incidents/",
        departure_views.incident_record,
        name="incident_record",
    ),
    path("convoys/<int:convoy_id>/arrival/", departure_views.convoy_arrive, name="convoy_arrive"),
    path(
        "convoys/<int:convoy_id>/arrivals/close/",
        departure_views.arrivals_close,
        name="arrivals_close",
    ),
    path("convoys/<int:convoy_id>/resume/", departure_views.convoy_resume, name="convoy_resume"),
    path("protection-cases/", departure_views.protection_cases, name="protection_cases"),
    path("boarding/", departure_views.boarding_pick, name="boarding_pick"),
    path("convoys/<int:convoy_id>/boarding/", departure_views.boarding, name="boarding"),
    path("convoys/<int:convoy_id>/no-shows/", departure_views.no_show, name="no_show"),
    path("convoys/<int:convoy_id>/arrivals/", departure_views.arrivals, name="arrivals"),
    path("door/sw.js", door_views.door_service_worker, name="door_sw"),
    path("door/<int:convoy_id>/<int:number>/", door_views.door, name="door"),
    path(
        "door/<int:convoy_id>/<int:number>/pack.json", door_views.door_pack_view, name="door_pack"
    ),
    path("cases/", views.case_lookup, name="case_lookup"),
    path("cases/<str:serial>/", views.case_detail, name="case"),
    path("verify/", verify_views.verify_page, name="verify"),
    path("verify/sw.js", verify_views.verify_service_worker, name="verify_sw"),
]
