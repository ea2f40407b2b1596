from django.contrib import admin
from django.urls import include, path

from tickets.tracking_views import tracking_page, tracking_stylesheet

admin.site.site_header = "Bank SulutGo ServiceDesk"
admin.site.site_title = "ServiceDesk"
admin.site.index_title = "Agent console"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/omnichannel/", include("omnichannel.urls")),
    path("track/assets/page.css", tracking_stylesheet, name="tracking-stylesheet"),
    path("track/<str:number>/<str:token>/", tracking_page, name="tracking-page"),
]

handler400 = "omnichannel.errors.handler400"
handler403 = "omnichannel.errors.handler403"
handler404 = "omnichannel.errors.handler404"
handler500 = "omnichannel.errors.handler500"
