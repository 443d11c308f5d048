from django.urls import path

from handover.web import propose, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignIn.as_view(), name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("my-work/", views.my_work, name="my_work"),
    path("children/", views.search, name="search"),
    path("escalations/", views.escalations, name="escalations"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/", views.team, name="team_detail"),
    path("protocol/", views.protocol_page, name="protocol"),
    path("children/<int:pk>/", views.child_record, name="child"),
    path("children/<int:pk>/propose/", propose.propose, name="propose"),
    path("children/<int:pk>/propose/<slug:step>/", propose.propose, name="propose_step"),
    path("transfers/<int:pk>/", views.transfer_page, name="transfer"),
    path("transfers/<int:pk>/sign-off/<slug:kind>/", views.transfer_sign_off, name="transfer_sign_off"),
    path("transfers/<int:pk>/remedial-actions/new/", views.remedial_action_new, name="remedial_action_new"),
    path("transfers/<int:pk>/<slug:action>/", views.transfer_action, name="transfer_action"),
]
