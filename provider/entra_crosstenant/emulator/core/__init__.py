"""What every Graph area's model shares, with no HTTP: model errors, the service's settings and
clocks, keys, replication lag, and validation against `entra_crosstenant.graph.schema`."""
