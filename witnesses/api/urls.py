from django.urls import path

from witnesses.api.contact import (
    WitnessBriefApi,
    WitnessEarlierApi,
    WitnessFollowUpApi,
    WitnessLeaveApi,
    WitnessSubmissionsApi,
    WitnessTimelineApi,
)
from witnesses.api.owner import (
    BriefApi,
    InboxAcceptApi,
    InboxHideApi,
    InboxListApi,
    WitnessDetailApi,
    WitnessExtendApi,
    WitnessListCreateApi,
    WitnessReissueApi,
    WitnessRevokeApi,
    WitnessSharingApi,
)

app_name = "witnesses_api"

urlpatterns = [
    path("witnesses/", WitnessListCreateApi.as_view(), name="witnesses"),
    path("witnesses/<int:witness_id>/", WitnessDetailApi.as_view(), name="witness"),
    path("witnesses/<int:witness_id>/revoke/", WitnessRevokeApi.as_view(), name="witness_revoke"),
    path(
        "witnesses/<int:witness_id>/reissue/",
        WitnessReissueApi.as_view(),
        name="witness_reissue",
    ),
    path("witnesses/<int:witness_id>/extend/", WitnessExtendApi.as_view(), name="witness_extend"),
    path(
        "witnesses/<int:witness_id>/sharing/",
        WitnessSharingApi.as_view(),
        name="witness_sharing",
    ),
    path("brief/", BriefApi.as_view(), name="brief"),
    path("inbox/", InboxListApi.as_view(), name="inbox"),
    path("inbox/<int:submission_id>/accept/", InboxAcceptApi.as_view(), name="inbox_accept"),
    path("inbox/<int:submission_id>/hide/", InboxHideApi.as_view(), name="inbox_hide"),
    path("witness/brief/", WitnessBriefApi.as_view(), name="witness_brief"),
    path("witness/earlier/", WitnessEarlierApi.as_view(), name="witness_earlier"),
    path("witness/leave/", WitnessLeaveApi.as_view(), name="witness_leave"),
    path("witness/timeline/", WitnessTimelineApi.as_view(), name="witness_timeline"),
    path("witness/submissions/", WitnessSubmissionsApi.as_view(), name="witness_submissions"),
    path(
        "witness/submissions/<str:reference>/follow-ups/",
        WitnessFollowUpApi.as_view(),
        name="witness_follow_ups",
    ),
]
