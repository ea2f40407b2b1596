"""The partner API as a Postman collection, made from the same OpenAPI schema that
/api/omnichannel/schema/ serves, and as public as that schema."""

import json
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.views import APIView

from omnichannel.postman import collection_from_openapi

FILENAME = "servicedesk-omnichannel.postman_collection.json"


def api_path_prefix() -> str:
    """Where config/urls.py mounts omnichannel.urls; the schema's paths start with it."""
    return settings.SPECTACULAR_SETTINGS["SCHEMA_PATH_PREFIX"]


def default_base_url() -> str:
    return settings.SITE_URL.rstrip("/") + api_path_prefix()


@lru_cache(maxsize=8)
def collection_json(*, base_url: str) -> str:
    """The collection for `base_url`, as the JSON text both the view and the
    export_postman command hand out. Made once per process and base URL: the schema
    changes only with a deploy, and generating it walks every view and serializer."""
    # Built as SpectacularAPIView builds the schema it serves (same generator, URLconf and
    # patterns: the project's URLconf, of which only the partner API is DRF), and passed
    # through its renderer so the converter gets plain JSON, lazy translations resolved.
    generator = SpectacularAPIView.generator_class(
        urlconf=SpectacularAPIView.urlconf, patterns=SpectacularAPIView.patterns
    )
    schema = generator.get_schema(request=None, public=SpectacularAPIView.serve_public)
    schema = json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
    collection = collection_from_openapi(schema, base_url=base_url, path_prefix=api_path_prefix())
    return json.dumps(collection, indent=2, ensure_ascii=False) + "\n"


class PostmanCollectionView(APIView):
    """The collection as a download. A DRF view only so a wrong method or Accept header
    gets the API's error envelope; it authenticates no one, like the schema view."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(exclude=True)
    def get(self, request):
        response = HttpResponse(collection_json(base_url=default_base_url()), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
        return response
