"""semantic-search: records found by meaning and by words, indexed from record events.

One process per deployment: its in-memory index follows only the changes its own indexer
makes, so a second replica would drift from the first.
"""

from pyat.search.v1 import search_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "search",
    search_pb2.DESCRIPTOR.services_by_name["SearchService"],
    "services.search.servicer:SearchServicer",
    package=__file__,
    on_start=["services.search.indexer:start"],
)
