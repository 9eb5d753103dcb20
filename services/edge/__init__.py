"""The edge: Envoy in front of the services, the config it runs on and the process it is."""
