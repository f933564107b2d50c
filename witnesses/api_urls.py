from django.urls import path

from witnesses import api

app_name = "witnesses_api"

urlpatterns = [
    path("witnesses/", api.WitnessListCreateApi.as_view(), name="witnesses"),
    path("witnesses/<int:witness_id>/", api.WitnessDetailApi.as_view(), name="witness"),
    path(
        "witnesses/<int:witness_id>/revoke/", api.WitnessRevokeApi.as_view(), name="witness_revoke"
    ),
    path(
        "witnesses/<int:witness_id>/reissue/",
        api.WitnessReissueApi.as_view(),
        name="witness_reissue",
    ),
    path(
        "witnesses/<int:witness_id>/extend/", api.WitnessExtendApi.as_view(), name="witness_extend"
    ),
    path(
        "witnesses/<int:witness_id>/sharing/",
        api.WitnessSharingApi.as_view(),
        name="witness_sharing",
    ),
    path("brief/", api.BriefApi.as_view(), name="brief"),
    path("inbox/", api.InboxListApi.as_view(), name="inbox"),
    path("inbox/<int:submission_id>/accept/", api.InboxAcceptApi.as_view(), name="inbox_accept"),
    path("inbox/<int:submission_id>/hide/", api.InboxHideApi.as_view(), name="inbox_hide"),
    path("witness/brief/", api.WitnessBriefApi.as_view(), name="witness_brief"),
    path("witness/timeline/", api.WitnessTimelineApi.as_view(), name="witness_timeline"),
    path("witness/submissions/", api.WitnessSubmissionsApi.as_view(), name="witness_submissions"),
    path(
        "witness/submissions/<str:reference>/follow-ups/",
        api.WitnessFollowUpApi.as_view(),
        name="witness_follow_ups",
    ),
]
