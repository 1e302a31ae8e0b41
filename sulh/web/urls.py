from django.contrib.auth import views as auth_views
from django.urls import path

from sulh.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/login/"), name="logout"),
    path("cases/", views.case_lookup, name="case_lookup"),
    path("cases/<str:serial>/", views.case_detail, name="case"),
]
