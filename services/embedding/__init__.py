"""embedding-service: sentence embeddings from a local model on PyTorch, with dynamic batching."""

from pyat.embedding.v1 import embedding_pb2

from services.shared.runtime import declare_service

SERVICE = declare_service(
    "embedding",
    embedding_pb2.DESCRIPTOR.services_by_name["EmbeddingService"],
    "services.embedding.servicer:EmbeddingServicer",
    package=__file__,
)
