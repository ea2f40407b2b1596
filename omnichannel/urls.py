from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from omnichannel.postman_views import PostmanCollectionView
from omnichannel.views import TicketCollectionView, TicketDetailView

app_name = "omnichannel"

# The spec writes paths without a trailing slash; partners' clients add one or not, and
# both must work without a redirect (a redirected POST loses its body).
urlpatterns = [
    re_path(r"^tickets/?$", TicketCollectionView.as_view(), name="tickets"),
    re_path(r"^tickets/(?P<ticket_number>[^/]{1,64})/?$", TicketDetailView.as_view(), name="ticket-detail"),
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="omnichannel:schema", authentication_classes=[], permission_classes=[]),
        name="docs",
    ),
    path("docs/postman.json", PostmanCollectionView.as_view(), name="postman"),
]
