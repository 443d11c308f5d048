from django.urls import path

from handover.web import (
    children,
    documents,
    front_door,
    meetings,
    notifications,
    overview,
    propose,
    secondary,
    staff,
    transfer_out,
    views,
)

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignIn.as_view(), name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("my-work/", views.my_work, name="my_work"),
    path("children/", views.search, name="search"),
    path("escalations/", views.escalations, name="escalations"),
    path("escalations/<int:pk>/acknowledge/", views.escalation_acknowledge, name="escalation_acknowledge"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/", views.team, name="team_detail"),
    path("overview/", overview.overview, name="overview"),
    path("staff/<int:pk>/", staff.staff_page, name="staff"),
    path("staff/<int:pk>/registration/", staff.staff_registration, name="staff_registration"),
    path("protocol/", views.protocol_page, name="protocol"),
    path("children/<int:pk>/", views.child_record, name="child"),
    path("front-door/", front_door.front_door, name="front_door"),
    path("front-door/new/", front_door.front_door_new, name="front_door_new"),
    path("front-door/<int:pk>/close/", front_door.front_door_close, name="front_door_close"),
    path("front-door/<int:pk>/read/", front_door.front_door_contact_read, name="front_door_contact_read"),
    path("children/<int:pk>/edit/", children.child_edit, name="child_edit"),
    path("children/<int:pk>/documents/new/", children.document_new, name="document_new"),
    path(
        "children/<int:pk>/documents/<int:document_pk>/replace/",
        children.document_replace,
        name="document_replace",
    ),
    path(
        "children/<int:pk>/secondary-allocations/new/",
        secondary.secondary_allocation_new,
        name="secondary_allocation_new",
    ),
    path(
        "children/<int:pk>/secondary-allocations/<int:allocation_id>/end/",
        secondary.secondary_allocation_end_page,
        name="secondary_allocation_end",
    ),
    path("children/<int:pk>/propose/", propose.propose, name="propose"),
    path("children/<int:pk>/propose/<slug:step>/", propose.propose, name="propose_step"),
    path("transfers/<int:pk>/", views.transfer_page, name="transfer"),
    path("transfers/<int:pk>/sign-off/<slug:kind>/", views.transfer_sign_off, name="transfer_sign_off"),
    path("transfers/<int:pk>/remedial-actions/new/", views.remedial_action_new, name="remedial_action_new"),
    path(
        "transfers/<int:pk>/remedial-actions/<int:action_id>/<slug:verb>/",
        views.remedial_action_mark,
        name="remedial_action_mark",
    ),
    path("transfers/<int:pk>/steps/<slug:step>/done/", views.transfer_step_done, name="transfer_step_done"),
    path(
        "transfers/<int:pk>/steps/<slug:step>/reopen/",
        views.transfer_step_reopen,
        name="transfer_step_reopen",
    ),
    path("transfers/<int:pk>/summary/", documents.transfer_summary, name="transfer_summary"),
    path("transfers/<int:pk>/summary.pdf", documents.transfer_summary_pdf, name="transfer_summary_pdf"),
    path("transfers/<int:pk>/letters/", documents.transfer_letters, name="transfer_letters"),
    path("letters/<int:pk>.<str:fmt>", documents.letter_download, name="letter_download"),
    path("letters/<int:pk>/post/", documents.letter_post, name="letter_post"),
    path("documents/<int:pk>/", documents.document_download, name="document_download"),
    path("children/<int:pk>/panel-decision/", meetings.panel_decision, name="panel_decision"),
    path("meetings/", meetings.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", meetings.meeting_page, name="meeting"),
    path("meetings/<int:pk>/cases/<int:item_pk>/", meetings.meeting_item, name="meeting_item"),
    path("meetings/<int:pk>/late/", meetings.meeting_late, name="meeting_late"),
    path("meetings/<int:pk>/close/", meetings.meeting_close, name="meeting_close"),
    path("meetings/<int:pk>/<slug:paper>.<str:fmt>", meetings.meeting_paper, name="meeting_paper"),
    path("transfers/<int:pk>/referral-bundle.zip", transfer_out.bundle, name="referral_bundle"),
    # To another authority, each with its own inputs; listed before the general action page, which they share.
    *(
        path(
            f"transfers/<int:pk>/{action}/",
            transfer_out.action_page,
            {"action": action},
            name=f"transfer_{action}",
        )
        for action in sorted(transfer_out.ACTIONS)
    ),
    path("transfers/<int:pk>/<slug:action>/", views.transfer_action, name="transfer_action"),
]
