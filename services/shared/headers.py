"""What the edge and api-gateway agree on: the headers Envoy adds to a request."""

# Set by ext_authz before assertions; it grants nothing, and the edge still drops it.
BASE_HEADER = "x-pyat-base-id"
# The transcoder keeps a REST request's path and method here, and ext_authz judges by them.
ORIGINAL_PATH_HEADER = "x-envoy-original-path"
ORIGINAL_METHOD_HEADER = "x-envoy-original-method"
