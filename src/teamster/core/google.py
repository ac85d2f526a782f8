"""Google Cloud clients for ``prod`` (installed with the ``prod`` extra).

In production the clients use Google's default credentials (the pod's workload
identity). With an endpoint set they talk to an emulator on 127.0.0.1 instead, with
anonymous credentials: emulators check none, and the tests run offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.cloud import bigquery, storage


def _emulated(endpoint: str | None) -> dict:
    if not endpoint:
        return {}
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials

    return {
        "credentials": AnonymousCredentials(),
        "client_options": ClientOptions(api_endpoint=endpoint),
    }


def bigquery_client(project: str, location: str, endpoint: str | None) -> bigquery.Client:
    from google.cloud import bigquery

    return bigquery.Client(project=project, location=location, **_emulated(endpoint))


def storage_client(project: str, endpoint: str | None) -> storage.Client:
    from google.cloud import storage

    return storage.Client(project=project, **_emulated(endpoint))
